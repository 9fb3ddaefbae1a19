# The source range is only known when the variable is given: nothing can be said about it.
variable "admin_cidr" {
  type = string
}

resource "aws_security_group_rule" "admin_ssh" {
  type              = "ingress"
  security_group_id = aws_security_group.bastion.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = [var.admin_cidr]
}
