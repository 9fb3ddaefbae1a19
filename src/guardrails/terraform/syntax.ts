/**
 * The HCL syntax tree the evaluator reads: plain objects converted once from the tree-sitter
 * tree, so evaluation (which visits module bodies once per module instance) never crosses into
 * WebAssembly again.
 */
import type { SourceSpan } from "../model.js";

export type Expr =
  | { kind: "literal"; value: string | number | boolean | null; span: SourceSpan }
  | { kind: "template"; parts: TemplatePart[]; span: SourceSpan }
  | { kind: "tuple"; items: Expr[]; span: SourceSpan }
  | { kind: "object"; items: { key: Expr; value: Expr }[]; span: SourceSpan }
  | { kind: "variable"; name: string; span: SourceSpan }
  | { kind: "paren"; inner: Expr; span: SourceSpan }
  | { kind: "attr"; target: Expr; name: string; span: SourceSpan }
  | { kind: "index"; target: Expr; key: Expr; span: SourceSpan }
  /** `x[*].a[0]` and the legacy `x.*.a`: `ops` apply to each element. */
  | { kind: "splat"; target: Expr; ops: TraversalOp[]; span: SourceSpan }
  | { kind: "call"; name: string; args: Expr[]; expandFinal: boolean; span: SourceSpan }
  | {
      kind: "for";
      keyVar: string | undefined;
      valueVar: string;
      collection: Expr;
      /** Present for `{ for ... : k => v }`. */
      key: Expr | undefined;
      value: Expr;
      condition: Expr | undefined;
      grouping: boolean;
      span: SourceSpan;
    }
  | { kind: "conditional"; condition: Expr; then: Expr; else: Expr; span: SourceSpan }
  | { kind: "unary"; operator: "-" | "!"; operand: Expr; span: SourceSpan }
  | { kind: "binary"; operator: BinaryOperator; left: Expr; right: Expr; span: SourceSpan }
  /** An expression with a syntax error in it: evaluates to UNKNOWN. */
  | { kind: "invalid"; span: SourceSpan };

export type BinaryOperator =
  "*" | "/" | "%" | "+" | "-" | ">" | ">=" | "<" | "<=" | "==" | "!=" | "&&" | "||";

export type TraversalOp = { kind: "attr"; name: string } | { kind: "index"; key: Expr };

export type TemplatePart =
  | { kind: "literal"; text: string }
  | { kind: "interpolation"; expr: Expr }
  | { kind: "if"; condition: Expr; then: TemplatePart[]; else: TemplatePart[] }
  | { kind: "for"; keyVar: string | undefined; valueVar: string; collection: Expr; body: TemplatePart[] };

export interface Attribute {
  name: string;
  expr: Expr;
  /** From the attribute's name to the end of its expression. */
  span: SourceSpan;
}

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  /** From the block's type to its closing brace. */
  span: SourceSpan;
}

export interface Body {
  attributes: Attribute[];
  blocks: Block[];
}

export interface Comment {
  text: string;
  span: SourceSpan;
}

/** One `.tf`/`.tfvars` file after parsing; `body` keeps whatever parsed around syntax errors. */
export interface ParsedFile {
  path: string;
  body: Body;
  comments: Comment[];
}
