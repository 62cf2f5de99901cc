/**
 * A small recursive-descent parser for expressions in x and y, so that a user's surface can be
 * evaluated (and differentiated) without `eval`: the text only ever becomes this tree.
 *
 * Grammar (usual precedence; `^` binds tighter than unary minus and is right-associative, so
 * `-x^2` is `-(x^2)` and `2^3^2` is `2^9`; juxtaposition multiplies: `2x`, `xy`, `100 (y - x^2)`):
 * ```
 * sum     := product (('+' | '-') product)*
 * product := unary (('*' | '/') unary | power)*
 * unary   := ('-' | '+') unary | power
 * power   := primary ('^' unary)?
 * primary := number | name | function '(' sum ')' | '(' sum ')'
 * ```
 */

/** The functions an expression may call, each of one argument. */
export const FUNCTIONS = [
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'exp',
  'log',
  'ln',
  'sqrt',
  'abs',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** Named constants. */
export const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };

/** A parsed expression. */
export type Expr =
  | { readonly kind: 'num'; readonly value: number }
  | { readonly kind: 'var'; readonly name: 'x' | 'y' }
  | { readonly kind: 'neg'; readonly arg: Expr }
  | {
      readonly kind: 'bin';
      readonly op: '+' | '-' | '*' | '/' | '^';
      readonly a: Expr;
      readonly b: Expr;
    }
  | { readonly kind: 'call'; readonly fn: FunctionName; readonly arg: Expr };

/** A syntax error, with the 1-based column where it was found. */
export class ExprError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} at column ${column}`);
    this.name = 'ExprError';
  }
}

/** Longer than this is refused, which also bounds the parser's recursion. */
export const MAX_LENGTH = 500;
const MAX_DEPTH = 100;

type Token =
  | { t: 'num'; value: number; pos: number }
  | { t: 'name'; name: string; pos: number }
  | { t: 'op'; op: string; pos: number }
  | { t: 'end'; pos: number };

// Longest first, so that `sinh` wins over `sin` and `exp` over `e`.
const NAMES = [...FUNCTIONS, ...Object.keys(CONSTANTS), 'x', 'y'].sort(
  (a, b) => b.length - a.length,
);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new ExprError(`malformed number`, i + 1);
      out.push({ t: 'num', value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (/[a-zA-Z_]/.test(c)) {
      // A run of letters is split into known names ("xy" is x·y, "2pi" is 2·pi).
      const run = /^[a-zA-Z_]\w*/.exec(src.slice(i))![0];
      let j = 0;
      while (j < run.length) {
        const rest = run.slice(j).toLowerCase();
        const name = NAMES.find((n) => rest.startsWith(n));
        if (!name) {
          throw new ExprError(
            `unknown name "${run.slice(j)}" (known: x, y, pi, e, ${FUNCTIONS.join(', ')})`,
            i + j + 1,
          );
        }
        out.push({ t: 'name', name, pos: i + j });
        j += name.length;
      }
      i += run.length;
    } else if (src.startsWith('**', i)) {
      out.push({ t: 'op', op: '^', pos: i });
      i += 2;
    } else if ('+-*/^()'.includes(c)) {
      out.push({ t: 'op', op: c, pos: i });
      i++;
    } else {
      throw new ExprError(`unexpected character "${c}"`, i + 1);
    }
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

/** Parses `src` into an expression tree; throws {@link ExprError} naming the problem and column. */
export function parseExpr(src: string): Expr {
  if (src.length > MAX_LENGTH) {
    throw new ExprError(
      `expression too long (${src.length} characters, at most ${MAX_LENGTH})`,
      MAX_LENGTH + 1,
    );
  }
  const tokens = tokenize(src);
  if (tokens.length === 1) throw new ExprError('empty expression', 1);
  let k = 0;
  let depth = 0;
  const peek = () => tokens[k]!;
  const isOp = (op: string) => {
    const tok = peek();
    return tok.t === 'op' && tok.op === op;
  };
  const describe = (tok: Token) =>
    tok.t === 'end'
      ? 'end of input'
      : tok.t === 'num'
        ? `number ${tok.value}`
        : `"${tok.t === 'op' ? tok.op : tok.name}"`;
  const fail = (what: string): never => {
    const tok = peek();
    throw new ExprError(`expected ${what}, found ${describe(tok)}`, tok.pos + 1);
  };
  // Parentheses (and calls) deeper than MAX_DEPTH are refused; with the length limit this
  // bounds the recursion well below any engine's stack.
  const nest = <T>(open: Token, f: () => T): T => {
    if (++depth > MAX_DEPTH) throw new ExprError(`nesting deeper than ${MAX_DEPTH}`, open.pos + 1);
    const r = f();
    depth--;
    return r;
  };
  const startsPrimary = () => {
    const tok = peek();
    return tok.t === 'num' || tok.t === 'name' || (tok.t === 'op' && tok.op === '(');
  };

  function sum(): Expr {
    let a = product();
    while (isOp('+') || isOp('-')) {
      const op = (peek() as { op: '+' | '-' }).op;
      k++;
      a = { kind: 'bin', op, a, b: product() };
    }
    return a;
  }
  function product(): Expr {
    let a = unary();
    for (;;) {
      if (isOp('*') || isOp('/')) {
        const op = (peek() as { op: '*' | '/' }).op;
        k++;
        a = { kind: 'bin', op, a, b: unary() };
      } else if (startsPrimary()) {
        a = { kind: 'bin', op: '*', a, b: power() };
      } else {
        return a;
      }
    }
  }
  function unary(): Expr {
    if (isOp('-')) {
      k++;
      return { kind: 'neg', arg: unary() };
    }
    if (isOp('+')) {
      k++;
      return unary();
    }
    return power();
  }
  function power(): Expr {
    const a = primary();
    if (!isOp('^')) return a;
    k++;
    return { kind: 'bin', op: '^', a, b: unary() };
  }
  function primary(): Expr {
    const tok = peek();
    if (tok.t === 'num') {
      k++;
      return { kind: 'num', value: tok.value };
    }
    if (tok.t === 'name') {
      k++;
      if (tok.name === 'x' || tok.name === 'y') return { kind: 'var', name: tok.name };
      const c = CONSTANTS[tok.name];
      if (c !== undefined) return { kind: 'num', value: c };
      if (!isOp('(')) fail(`"(" after ${tok.name}`);
      const open = tokens[k++]!;
      const arg = nest(open, sum);
      if (!isOp(')')) fail('")"');
      k++;
      return { kind: 'call', fn: tok.name as FunctionName, arg };
    }
    if (isOp('(')) {
      const open = tokens[k++]!;
      const inner = nest(open, sum);
      if (!isOp(')')) fail('")"');
      k++;
      return inner;
    }
    return fail('a number, x, y, a function or "("');
  }

  const tree = sum();
  if (peek().t !== 'end') fail('an operator or the end');
  return tree;
}
