// SPDX-License-Identifier: Apache-2.0
// A real AT Protocol network (PLC, PDS, AppView) from @atproto/dev-env,
// seeded with a clinician account, harassing accounts, mentions, replies,
// a quote and a post that is later deleted. Synthetic accounts and words.
//
// Env: DB_POSTGRES_URL (required). Prints one JSON line on stdout when
// ready: {"pds": url, "handle", "did", "app_password", "posts": [...]}.
// Then reads commands on stdin, one per line, answering one JSON line:
//   delete <at-uri>      delete a post (as its author) and index it
//   mention <n>          n more mentions from the first harasser
//   quit                 stop the network and exit
'use strict'
const readline = require('node:readline')
const { TestNetwork } = require('@atproto/dev-env')
const { AtpAgent } = require('@atproto/api')

function mentionPost(text, handle, did) {
  // Facets index UTF-8 bytes.
  const at = '@' + handle
  const full = text + ' ' + at
  const start = Buffer.byteLength(text + ' ')
  return {
    text: full,
    facets: [{
      index: { byteStart: start, byteEnd: start + Buffer.byteLength(at) },
      features: [{ $type: 'app.bsky.richtext.facet#mention', did }],
    }],
    createdAt: new Date().toISOString(),
  }
}

async function main() {
  process.env.REDIS_HOST = process.env.REDIS_HOST || 'unused:6379'
  const network = await TestNetwork.create({
    // Letters only; unique per run so runs never share tables.
    dbPostgresSchema: 'vigil_' + String(process.pid).replace(/./g, (d) => 'abcdefghij'[d]),
  })
  const agents = {}
  async function account(name) {
    const agent = new AtpAgent({ service: network.pds.url })
    await agent.createAccount({
      handle: name + '.test', email: name + '@example.test', password: name + '-pass',
    })
    agents[name] = agent
    return agent
  }
  const clinician = await account('drsynthetic')
  const cdid = clinician.session.did
  const chandle = clinician.session.handle
  const appPassword = (await clinician.com.atproto.server.createAppPassword({ name: 'vigil' })).data.password
  const own = await clinician.post({ text: 'A synthetic clinic update.', createdAt: new Date().toISOString() })
  const posts = []
  const harassers = ['harasserone', 'harassertwo', 'harasserthree']
  for (const h of harassers) await account(h)
  let n = 0
  async function mention(h, extra) {
    const a = agents[h]
    n++
    const r = await a.post(mentionPost(`synthetic abuse number ${n} \u{1F621} ${extra || ''}`.trim(), chandle, cdid))
    posts.push({ uri: r.uri, did: a.session.did, kind: 'mention' })
    return r
  }
  for (let i = 0; i < 12; i++) for (const h of harassers) await mention(h)
  // Replies to the clinician's own post.
  for (const h of harassers) {
    const a = agents[h]
    const r = await a.post({
      text: `synthetic reply from ${h}`,
      reply: { root: { uri: own.uri, cid: own.cid }, parent: { uri: own.uri, cid: own.cid } },
      createdAt: new Date().toISOString(),
    })
    posts.push({ uri: r.uri, did: a.session.did, kind: 'reply' })
  }
  // A quote of the clinician's post.
  const q = await agents.harassertwo.post({
    text: 'synthetic quote mocking this',
    embed: { $type: 'app.bsky.embed.record', record: { uri: own.uri, cid: own.cid } },
    createdAt: new Date().toISOString(),
  })
  posts.push({ uri: q.uri, did: agents.harassertwo.session.did, kind: 'quote' })
  // A like, which is not a mention and must not be captured.
  await agents.harasserone.like(own.uri, own.cid)
  await network.processAll()
  const dids = {}
  for (const h of harassers) dids[h] = agents[h].session.did
  process.stdout.write(JSON.stringify({
    pds: network.pds.url, handle: chandle, did: cdid, app_password: appPassword,
    own: own.uri, harassers: dids, posts,
  }) + '\n')

  const rl = readline.createInterface({ input: process.stdin })
  for await (const line of rl) {
    const [cmd, arg] = line.trim().split(/\s+/)
    try {
      if (cmd === 'delete') {
        const p = posts.find((x) => x.uri === arg)
        const owner = Object.values(agents).find((a) => a.session.did === p.did)
        await owner.deletePost(arg)
        await network.processAll()
        process.stdout.write(JSON.stringify({ ok: true }) + '\n')
      } else if (cmd === 'mention') {
        const added = []
        for (let i = 0; i < Number(arg); i++) {
          const r = await mention(harassers[i % harassers.length], 'later')
          added.push({ uri: r.uri, did: agents[harassers[i % harassers.length]].session.did })
        }
        await network.processAll()
        process.stdout.write(JSON.stringify({ ok: true, added }) + '\n')
      } else if (cmd === 'quit') {
        break
      } else {
        process.stdout.write(JSON.stringify({ ok: false, error: 'unknown command' }) + '\n')
      }
    } catch (e) {
      process.stdout.write(JSON.stringify({ ok: false, error: String(e) }) + '\n')
    }
  }
  await network.close()
  process.exit(0)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
