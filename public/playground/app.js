// The playground page: sign in, pick or create an assistant, chat. Calls to the service are in api.js.
import { connect } from './api.js'

const $ = (selector) => document.querySelector(selector)
// The service's origin and base path: the page is served at <base path>/playground/.
const api = connect(new URL('..', document.baseURI).href.replace(/\/$/, ''))
let stream
let conversationId

/** Shows an error: the SDK's ApiError (its v1 body's `error_code`), an `error` frame, or any other. */
function showError(err) {
  const box = $('#error')
  const code = err?.body?.error_code ?? err?.code
  box.textContent = err ? (code ? `${err.message} (${code})` : err.message) : ''
  box.hidden = !err
}

/** Runs a form's action with its button disabled; shows what went wrong. */
function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const buttons = form.querySelectorAll('button')
    for (const b of buttons) b.disabled = true
    showError(null)
    try {
      await action(new FormData(form), event.submitter)
    } catch (err) {
      showError(err)
    } finally {
      for (const b of buttons) b.disabled = false
    }
  })
}

onSubmit($('#sign-in-form'), async (data, submitter) => {
  const email = data.get('email')
  const password = data.get('password')
  const user = submitter?.value === 'register' ? await api.register(email, password) : await api.signIn(email, password)
  $('#who').textContent = `Signed in as ${user.email}`
  $('#who').hidden = false
  $('#sign-in').hidden = true
  $('#assistants').hidden = false
  const [models, assistants] = await Promise.all([api.models(), api.assistants()])
  const modelSelect = $('#create-form select[name=model]')
  for (const m of models) modelSelect.append(new Option(`${m.name} (${m.id})`, m.id, m.is_default, m.is_default))
  for (const a of assistants) addAssistant(a)
  if (assistants.length === 0) $('#create-details').open = true
})

function addAssistant(assistant, select = false) {
  const option = new Option(`${assistant.name} · ${assistant.model}`, assistant.id, select, select)
  $('#pick-form select').append(option)
}

onSubmit($('#create-form'), async (data, _submitter) => {
  const assistant = await api.createAssistant({ name: data.get('name'), model: data.get('model'), system_prompt: data.get('system_prompt') })
  addAssistant(assistant, true)
  $('#create-form').reset()
  $('#create-details').open = false
})

onSubmit($('#pick-form'), async (data) => {
  const select = $('#pick-form select')
  const conversation = await api.startConversation(data.get('assistant'))
  stream?.close()
  conversationId = conversation.id
  $('#messages').replaceChildren()
  stream = await api.follow(conversation.id, onFrame)
  $('#chat-title').textContent = `Chat with ${select.selectedOptions[0].text.split(' · ')[0]}`
  $('#chat').hidden = false
  $('#send-form textarea').focus()
})

onSubmit($('#send-form'), async (data) => {
  await api.send(conversationId, data.get('content'))
  $('#send-form').reset()
})

// Enter sends; Shift+Enter starts a new line.
$('#send-form textarea').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault()
    $('#send-form').requestSubmit()
  }
})

/** The list item showing a message, made on its first frame. */
function messageItem(message) {
  let item = document.getElementById(`m-${message.id}`)
  if (!item) {
    item = document.createElement('li')
    item.id = `m-${message.id}`
    item.className = `message ${message.role}`
    item.dataset.chunks = '0'
    const role = document.createElement('span')
    role.className = 'role'
    role.textContent = message.role
    const text = document.createElement('span')
    text.className = 'text'
    item.append(role, text)
    $('#messages').append(item)
  }
  return item
}

function show(message) {
  const item = messageItem(message)
  item.dataset.status = message.status
  item.querySelector('.text').textContent = message.content ?? ''
  item.scrollIntoView({ block: 'nearest' })
}

function onFrame(frame) {
  // A stream left behind by a switch to another assistant.
  if (frame.conversation_id && frame.conversation_id !== conversationId) return
  switch (frame.type) {
    case 'message.created':
    case 'message.updated':
    case 'message.completed':
      show(frame.message)
      break
    case 'message.delta': {
      const item = document.getElementById(`m-${frame.message_id}`)
      if (!item) break
      item.querySelector('.text').textContent += frame.delta
      item.dataset.chunks = String(Number(item.dataset.chunks) + 1)
      break
    }
    case 'assistant_status':
      $('#assistant-status').textContent = frame.status === 'idle' ? '' : `The assistant is ${frame.status}…`
      break
    case 'error':
      showError({ message: frame.message, code: frame.code })
      break
    case 'closed':
      if (frame.code !== 1000 && frame.code !== 1005) showError({ message: `The stream closed (${frame.code}); pick the assistant again to reconnect.` })
      break
  }
}
