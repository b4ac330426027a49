/**
 * A safe arithmetic evaluator: a small recursive-descent parser over numbers, operators, a fixed
 * set of functions and constants. It never calls `eval` or `Function`, never looks a name up on an
 * object (so no `constructor`, `__proto__`, ...), and bounds the input's length and nesting.
 *
 * Grammar (lowest precedence first):
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '%') unary)*
 *   unary   := ('+' | '-') unary | power
 *   power   := primary (('^' | '**') unary)?        right-associative, binds tighter than unary minus on its left
 *   primary := number | constant | func '(' expr (',' expr)* ')' | '(' expr ')'
 */

export class CalculatorError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CalculatorError'
  }
}

export const MAX_EXPRESSION_LENGTH = 500
const MAX_DEPTH = 64

const CONSTANTS = new Map<string, number>([
  ['pi', Math.PI],
  ['e', Math.E],
  ['tau', 2 * Math.PI]
])

type Fn = { arity: [number, number]; fn: (...args: number[]) => number }
const FUNCTIONS = new Map<string, Fn>([
  ['sqrt', { arity: [1, 1], fn: Math.sqrt }],
  ['cbrt', { arity: [1, 1], fn: Math.cbrt }],
  ['abs', { arity: [1, 1], fn: Math.abs }],
  ['round', { arity: [1, 1], fn: Math.round }],
  ['floor', { arity: [1, 1], fn: Math.floor }],
  ['ceil', { arity: [1, 1], fn: Math.ceil }],
  ['trunc', { arity: [1, 1], fn: Math.trunc }],
  ['sign', { arity: [1, 1], fn: Math.sign }],
  ['sin', { arity: [1, 1], fn: Math.sin }],
  ['cos', { arity: [1, 1], fn: Math.cos }],
  ['tan', { arity: [1, 1], fn: Math.tan }],
  ['asin', { arity: [1, 1], fn: Math.asin }],
  ['acos', { arity: [1, 1], fn: Math.acos }],
  ['atan', { arity: [1, 1], fn: Math.atan }],
  ['exp', { arity: [1, 1], fn: Math.exp }],
  ['ln', { arity: [1, 1], fn: Math.log }],
  ['log', { arity: [1, 2], fn: (x, base) => (base === undefined ? Math.log10(x) : Math.log(x) / Math.log(base)) }],
  ['log10', { arity: [1, 1], fn: Math.log10 }],
  ['log2', { arity: [1, 1], fn: Math.log2 }],
  ['pow', { arity: [2, 2], fn: Math.pow }],
  ['min', { arity: [1, 32], fn: Math.min }],
  ['max', { arity: [1, 32], fn: Math.max }]
])

type Token = { kind: 'num'; value: number; pos: number } | { kind: 'name'; value: string; pos: number } | { kind: 'op'; value: string; pos: number }

function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i))
    if (num) {
      const text = num[0]
      const value = Number(text)
      if (!Number.isFinite(value)) throw new CalculatorError(`Bad number at ${i + 1}: ${text}`)
      tokens.push({ kind: 'num', value, pos: i })
      i += text.length
      continue
    }
    const name = /^[a-zA-Z][a-zA-Z0-9]*/.exec(src.slice(i))
    if (name) {
      tokens.push({ kind: 'name', value: name[0].toLowerCase(), pos: i })
      i += name[0].length
      continue
    }
    if (src.startsWith('**', i)) {
      tokens.push({ kind: 'op', value: '^', pos: i })
      i += 2
      continue
    }
    const op = c === '×' ? '*' : c === '÷' ? '/' : c === '−' ? '-' : c
    if ('+-*/%^(),'.includes(op)) {
      tokens.push({ kind: 'op', value: op, pos: i })
      i++
      continue
    }
    throw new CalculatorError(`Unexpected character ${JSON.stringify(c)} at ${i + 1}`)
  }
  return tokens
}

class Parser {
  private i = 0
  private depth = 0
  constructor(private readonly tokens: Token[]) {}

  parse(): number {
    if (this.tokens.length === 0) throw new CalculatorError('The expression is empty')
    const v = this.expr()
    const rest = this.tokens[this.i]
    if (rest) throw new CalculatorError(`Unexpected ${JSON.stringify(String(rest.value))} at ${rest.pos + 1}`)
    return v
  }

  private peek(): Token | undefined {
    return this.tokens[this.i]
  }

  private isOp(value: string): boolean {
    const t = this.peek()
    return t?.kind === 'op' && t.value === value
  }

  private expect(value: string): void {
    if (!this.isOp(value)) {
      const t = this.peek()
      throw new CalculatorError(t ? `Expected "${value}" at ${t.pos + 1}` : `Expected "${value}" at the end`)
    }
    this.i++
  }

  private nest<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new CalculatorError('The expression is nested too deeply')
    try {
      return f()
    } finally {
      this.depth--
    }
  }

  private expr(): number {
    return this.nest(() => {
      let v = this.term()
      while (this.isOp('+') || this.isOp('-')) {
        const op = this.tokens[this.i++]!.value
        const r = this.term()
        v = op === '+' ? v + r : v - r
      }
      return v
    })
  }

  private term(): number {
    let v = this.unary()
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.tokens[this.i++]!.value
      const r = this.unary()
      if ((op === '/' || op === '%') && r === 0) throw new CalculatorError('Division by zero')
      v = op === '*' ? v * r : op === '/' ? v / r : v % r
    }
    return v
  }

  private unary(): number {
    if (this.isOp('-')) {
      this.i++
      return this.nest(() => -this.unary())
    }
    if (this.isOp('+')) {
      this.i++
      return this.nest(() => this.unary())
    }
    return this.power()
  }

  private power(): number {
    const base = this.primary()
    if (this.isOp('^')) {
      this.i++
      const exponent = this.nest(() => this.unary())
      return base ** exponent
    }
    return base
  }

  private primary(): number {
    const t = this.peek()
    if (!t) throw new CalculatorError('The expression ends too early')
    if (t.kind === 'num') {
      this.i++
      return t.value
    }
    if (t.kind === 'op' && t.value === '(') {
      this.i++
      const v = this.expr()
      this.expect(')')
      return v
    }
    if (t.kind === 'name') {
      this.i++
      const fn = FUNCTIONS.get(t.value)
      if (fn) {
        this.expect('(')
        const args = [this.expr()]
        while (this.isOp(',')) {
          this.i++
          args.push(this.expr())
        }
        this.expect(')')
        const [lo, hi] = fn.arity
        if (args.length < lo || args.length > hi) {
          throw new CalculatorError(`${t.value}() takes ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? '' : 's'}`)
        }
        return fn.fn(...args)
      }
      const c = CONSTANTS.get(t.value)
      if (c !== undefined) return c
      throw new CalculatorError(`Unknown name "${t.value}" at ${t.pos + 1}`)
    }
    throw new CalculatorError(`Unexpected "${t.value}" at ${t.pos + 1}`)
  }
}

/** Evaluates an arithmetic expression; throws CalculatorError for anything else. */
export function evaluate(expression: string): number {
  if (typeof expression !== 'string') throw new CalculatorError('The expression must be a string')
  if (expression.length > MAX_EXPRESSION_LENGTH) throw new CalculatorError(`The expression is longer than ${MAX_EXPRESSION_LENGTH} characters`)
  const value = new Parser(tokenize(expression)).parse()
  if (Number.isNaN(value)) throw new CalculatorError('The result is not a number')
  if (!Number.isFinite(value)) throw new CalculatorError('The result is too large')
  return value
}

/** A number as people write it: no float noise like 0.30000000000000004. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n)
  return String(Number(n.toPrecision(12)))
}
