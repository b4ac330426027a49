import t from 'tap'
import { loadConfig, testConfig } from '../src/config.js'
import { hashPassword, setPasswordHashing, verifyPassword } from '../src/domain/passwords.js'

t.test('the service hashes with argon2id at the OWASP cost; tests at the least cost argon2id accepts', async (t) => {
  const owasp = await hashPassword('correct horse battery')
  t.match(owasp, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/, 'before any config: the OWASP parameters')

  setPasswordHashing(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), DATA_DIR: '/nonexistent' }).passwordHashing)
  t.match(await hashPassword('correct horse battery'), /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/, 'a loaded config keeps them')

  setPasswordHashing(testConfig().passwordHashing)
  const cheap = await hashPassword('correct horse battery')
  t.match(cheap, /^\$argon2id\$v=19\$m=8,p=1,t=1\$/, 'the test config: still argon2id, 8 KiB and one pass')
  t.ok(await verifyPassword(cheap, 'correct horse battery'))
  t.notOk(await verifyPassword(cheap, 'wrong horse battery'))
  t.ok(await verifyPassword(owasp, 'correct horse battery'), 'a hash verifies at the cost it was made with')
  t.notOk(await verifyPassword(owasp, 'wrong horse battery'))
})
