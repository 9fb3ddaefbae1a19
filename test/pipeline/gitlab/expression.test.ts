import { describe, expect, it } from "vitest";
import { ExpressionError, isTrue, parseExpression } from "../../../src/pipeline/gitlab/expression.js";

const vars = {
  BRANCH: "feature/login",
  EMPTY: "",
  BLANK: "  ",
  MAIN: "main",
  PATTERN: "/^FEATURE/i",
  PLAIN: "login",
  FLAG: "true",
};
const check = (expression: string) => isTrue(parseExpression(expression), vars);

/** GitLab's CI/CD variable expressions: https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions */
describe("rules:if expressions", () => {
  it.each([
    ["$BRANCH", true],
    ["$UNDEFINED", false],
    ["$EMPTY", false],
    // Ruby's present?: a blank string is false.
    ["$BLANK", false],
    ['$MAIN == "main"', true],
    ["$MAIN == 'main'", true],
    ['$MAIN != "main"', false],
    ["$UNDEFINED == null", true],
    ["$EMPTY == null", false],
    ['$EMPTY == ""', true],
    ['$UNDEFINED == ""', false],
    ["$MAIN == $MAIN", true],
    // Variables compare as strings: a boolean literal is another type.
    ["$FLAG == true", false],
    ['$FLAG == "true"', true],
    ["$BRANCH =~ /^feature\\//", true],
    ["$BRANCH =~ /^FEATURE/", false],
    ["$BRANCH =~ /^FEATURE/i", true],
    ["$BRANCH !~ /^feature/", false],
    ["$UNDEFINED =~ /.*/", true],
    ["$UNDEFINED !~ /x/", true],
    ["$BRANCH =~ null", false],
    // A variable on the right of =~ holding /re/flags is a regular expression; other text is a substring.
    ["$BRANCH =~ $PATTERN", true],
    ["$BRANCH =~ $PLAIN", true],
    ["$MAIN =~ $PLAIN", false],
    // && binds tighter than ||; parentheses group.
    ['$MAIN == "x" && $MAIN == "main" || $BRANCH', true],
    ['$MAIN == "x" && ($MAIN == "main" || $BRANCH)', false],
    ['($MAIN == "main" || $UNDEFINED) && $BRANCH =~ /login$/', true],
    // && and || return an operand, as in Ruby, and "" is truthy there: the final answer is blank.
    ["$EMPTY || $MAIN", false],
    ["$UNDEFINED || $MAIN", true],
    ["$MAIN && $EMPTY", false],
    ["true", true],
    ["false || null", false],
  ])("%s is %s", (expression, expected) => {
    expect(check(expression)).toBe(expected);
  });

  it.each([
    ["$A ==", 3, /"==" needs a value on its right/],
    ['$A == "x', 6, /unterminated string/],
    ["($A == 'x'", 0, /unmatched parenthesis/],
    ["$A = 'x'", 3, /unknown token/],
    ["!$A", 0, /unknown token/],
    ["${A} == 'x'", 0, /\$\{VAR\} is not expression syntax/],
    ["$A $B", 3, /two values in a row/],
    ["$A =~ /[/", 6, /invalid regular expression|unterminated/],
  ])("rejects %s at offset %d", (expression, offset, message) => {
    let error: unknown;
    try {
      parseExpression(expression);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).message).toMatch(message);
    expect((error as ExpressionError).offset).toBe(offset);
  });
});
