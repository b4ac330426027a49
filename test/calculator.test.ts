import t from 'tap'
import { calculate } from '../src/ai/tools/builtin.js'
import { CalculatorError, evaluate, formatNumber } from '../src/ai/tools/calculator.js'

t.test('arithmetic with the usual precedence', async (t) => {
  const cases: [string, number][] = [
    ['2+3*4', 14],
    ['(2+3)*4', 20],
    ['10 / 4', 2.5],
    ['10 % 4', 2],
    ['2^10', 1024],
    ['2**3', 8],
    ['2^3^2', 512],
    ['-2^2', -4],
    ['2^-1', 0.5],
    ['--3', 3],
    ['+4 - -4', 8],
    ['1.5e3 + .5', 1500.5],
    ['sqrt(16) + abs(-3)', 7],
    ['max(1, 7, 3) - min(4, 2)', 5],
    ['log(1000)', 3],
    ['log(8, 2)', 3],
    ['round(2.5) + floor(2.7) + ceil(2.1)', 8],
    ['2 × 3 ÷ 4 − 1', 0.5],
    ['PI', Math.PI],
    ['sin(0) + cos(0)', 1]
  ]
  for (const [expr, want] of cases) t.equal(evaluate(expr), want, expr)
  t.equal(formatNumber(evaluate('0.1 + 0.2')), '0.3')
  t.same(calculate({ expression: ' 6*7 ' }), { expression: '6*7', result: '42' })
})

t.test('anything but arithmetic is refused, never evaluated', async (t) => {
  const refused = [
    '',
    '   ',
    'process.exit(1)',
    'constructor',
    '__proto__',
    'toString()',
    'this',
    "require('fs')",
    '1; 2',
    '[1,2]',
    '"a"',
    'a = 1',
    '2 +',
    '(1 + 2',
    '1 + 2)',
    'sqrt()',
    'pow(2)',
    'sqrt(1, 2)',
    'foo(1)',
    '1 / 0',
    '5 % 0',
    'sqrt(-1)',
    '10^400',
    '2..3',
    '`1`',
    '1 & 2',
    '0x10'
  ]
  for (const expr of refused) t.throws(() => evaluate(expr), CalculatorError, JSON.stringify(expr))
  t.throws(() => evaluate(`${'1+'.repeat(300)}1`), /longer than/)
  t.throws(() => evaluate(`${'('.repeat(100)}1${')'.repeat(100)}`), /nested too deeply/)
  t.throws(() => evaluate(`${'-'.repeat(200)}1`), /nested too deeply/)
  t.throws(() => calculate({ expression: 42 }), /non-empty string/)
})
