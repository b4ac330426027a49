/**
 * Generated from openapi/openapi.json by `npm run sdk` (openapi-typescript): do not edit.
 */

export interface paths {
    "/api/v1/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register a new account
         * @description Creates an account. The first account registered is an admin. Emails are unique regardless of case. A password that is easy to guess (a common one, a word, a repeat, the email itself) is 422 `WEAK_PASSWORD`.
         */
        post: operations["register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in and get tokens
         * @description An unknown email, a wrong password and a disabled account all answer 401 `INVALID_CREDENTIALS`. After 5 failed sign-ins an account is locked for 30 s, then twice as long after each further 5 failures, at most 5 minutes: meanwhile every sign-in to it answers 429 `TOO_MANY_ATTEMPTS` with `Retry-After`.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for new tokens
         * @description Each refresh token works once and is replaced by the new one returned. Presenting a used refresh token revokes every token of its session, except a retry within 20 seconds while the token it was exchanged for is still unused (two tabs refreshing at once): that gets a new pair of the same session. A browser signed in with cookies sends no body: the `refresh_token` cookie is used, the new tokens are set as cookies (204), and the CSRF check of cookie-authenticated requests applies (`X-CSRF-Token`).
         */
        post: operations["refreshToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign out and revoke the session
         * @description Revokes the caller's session: its refresh tokens and its access tokens stop working. Clears the cookies of a browser sign-in (`access_token`, `refresh_token`, `csrf_token`). The body may be left out.
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in user
         * @description The account the request's credential (an access token, an API key or the sign-in cookie) belongs to; the same as `GET /api/v1/users/me`.
         */
        get: operations["getAuthenticatedUser"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/{provider}/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Sign in with a provider
         * @description Redirects the browser to the provider's sign-in page (authorization code flow with PKCE, `state` and `nonce`). Sets a short-lived HttpOnly `oauth_state` cookie that ties the callback to this browser. Providers are configured with `OAUTH_<PROVIDER>_CLIENT_ID`, `OAUTH_<PROVIDER>_CLIENT_SECRET` and `OAUTH_<PROVIDER>_ISSUER`.
         */
        get: operations["startProviderSignIn"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/{provider}/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Where the provider sends the browser back
         * @description Checks `state` against the `oauth_state` cookie and the sign-in started (each works once), exchanges the code with the PKCE verifier, verifies the ID token and its nonce, and signs in to the account linked to the provider's subject, or to the account with the same email, or a new one. The email must be verified by the provider and allowed by `ALLOWED_EMAILS` (403 otherwise, and no session cookie is set). Redirects to `/api/v1/auth/login-success-redirect` with a one-time token.
         */
        get: operations["finishProviderSignIn"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login-success-redirect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Hand a finished sign-in to the front end
         * @description Redirects to `FRONTEND_URL` with the one-time `token`, which the front end exchanges at `/api/v1/auth/validate-token` for the session cookies. Without `FRONTEND_URL`, answers a small page that does it.
         */
        get: operations["handOverSignIn"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/validate-token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Exchange a one-time sign-in token for session cookies
         * @description Spends the token (once, within two minutes) and starts a session: sets the HttpOnly cookies `access_token` (path `/`) and `refresh_token` (path `/api/v1/auth/refresh`), both under `BASE_PATH` when one is set, SameSite=Lax and Secure over https, and `csrf_token` (path `/`), readable by scripts, to echo in `X-CSRF-Token` on POST, PUT, PATCH and DELETE.
         */
        get: operations["validateSignInToken"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get the current user profile
         * @description The caller's own account: email, name, role and whether it is active.
         */
        get: operations["getCurrentUser"];
        /**
         * Update the current user profile
         * @description Changing the password needs `current_password`.
         */
        put: operations["updateCurrentUser"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List users (admin only)
         * @description Every account, a page at a time; `role` keeps one role, `q` the accounts whose email or name contains it. Others than admins get 403.
         */
        get: operations["listUsers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a user (admin, or the user themself)
         * @description One account by id: a user may read their own, an admin anyone's; anyone else gets 403 `ADMIN_REQUIRED`.
         */
        get: operations["getUser"];
        /**
         * Update a user (admin only)
         * @description Admins can change roles. The last active admin cannot be demoted or disabled.
         */
        put: operations["updateUser"];
        post?: never;
        /**
         * Delete a user (admin only)
         * @description Deletes the account with its sessions, API keys and files, and the conversations that were theirs alone; conversations others took part in stay, their messages kept without a sender. The last active admin cannot be deleted (409).
         */
        delete: operations["deleteUser"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller's live API keys
         * @description The caller's keys that are not revoked, by name and prefix: the key itself is shown only once, when made.
         */
        get: operations["listApiKeys"];
        put?: never;
        /**
         * Create an API key
         * @description The key is in this response only; it is stored hashed.
         */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description The key stops working at once, and WebSockets opened with it are closed. Another user's key is a 404.
         */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller's conversations
         * @description Conversations the caller takes part in, and those of workspaces they belong to, with unread counts.
         */
        get: operations["listConversations"];
        put?: never;
        /**
         * Start a conversation
         * @description With an assistant (`assistant_id`), between people (`participant_ids`), or both; optionally in a workspace. `initial_message` becomes message 1. Send `Idempotency-Key` to make retries safe.
         */
        post: operations["createConversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{conversation_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a conversation with its latest messages
         * @description The conversation with its participants and its latest 50 messages, oldest first, for its participants and the members of its workspace; anyone else gets 404.
         */
        get: operations["getConversation"];
        put?: never;
        post?: never;
        /**
         * Delete a conversation and its messages
         * @description Its creator (or the owner or an admin of its workspace) may.
         */
        delete: operations["deleteConversation"];
        options?: never;
        head?: never;
        /**
         * Rename a conversation
         * @description Sets the title, or clears it with null. Its participants may, and the members of its workspace but viewers (403).
         */
        patch: operations["updateConversation"];
        trace?: never;
    };
    "/api/v1/conversations/{conversation_id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Message history by cursor
         * @description Oldest first. `after_seq` pages forward from a seq (what a client missed); `before_seq` pages back; with neither, the latest messages.
         */
        get: operations["listMessages"];
        put?: never;
        /**
         * Send a message
         * @description The message takes the next `seq` of the conversation. A retry with the same `client_msg_id` or `Idempotency-Key` makes one message and answers as the first time did. In a conversation with an assistant, the assistant answers in the background: follow it on `/ws`, or send with `sendMessageStream` (`POST …/messages/stream`) to read the reply as it streams. (A request with `Accept: text/event-stream` is answered as `sendMessageStream` answers.)
         */
        post: operations["sendMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{conversation_id}/messages/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a message and stream the assistant's reply
         * @description The message takes the next `seq` of the conversation. A retry with the same `client_msg_id` or `Idempotency-Key` makes one message and answers as the first time did. The answer is a stream of Server-Sent Events, each `data` the JSON of the `/ws` frame of the same name: `message.created` (this message), then the reply as `assistant_status`, `message.delta`, `message.created` (tool calls and their results), `message.completed` or `error`, and last `done` (`{"type": "done", "outcome": "completed" | "failed" | "cancelled" | null}`; null when nobody answers). A send that fails answers in JSON with its error status, before any event.
         */
        post: operations["sendMessageStream"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{conversation_id}/reply/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel the assistant's reply in progress
         * @description Cancels the replies running or queued in the conversation; a cancelled reply keeps what it streamed, with status `cancelled`.
         */
        post: operations["cancelReply"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{conversation_id}/messages/{message_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get one message
         * @description One message of a conversation the caller sees; a deleted message is a tombstone (empty `content`, `deleted_at` set).
         */
        get: operations["getMessage"];
        put?: never;
        post?: never;
        /**
         * Delete one's own message
         * @description Leaves a tombstone: the seq stays, the content goes, and `message.deleted` is sent.
         */
        delete: operations["deleteMessage"];
        options?: never;
        head?: never;
        /**
         * Edit one's own message
         * @description Replaces the content of a message the caller sent, sets `edited_at` and sends `message.updated`. Someone else's message is a 403 `NOT_MESSAGE_AUTHOR`; a deleted one a 404.
         */
        patch: operations["editMessage"];
        trace?: never;
    };
    "/api/v1/conversations/{conversation_id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark the conversation read up to a seq
         * @description The read mark never moves back.
         */
        post: operations["markConversationRead"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Paginated list of the user's chats
         * @description The chats the caller takes part in, a page at a time: conversations with a model, with their files.
         */
        get: operations["listChats"];
        put?: never;
        /**
         * Create a chat
         * @description A chat with a model, named by `model_id` and `model_api_source` (see `GET /api/v1/model`). It is a conversation like any other: send messages to it with `POST /api/v1/conversations/{conversation_id}/messages`.
         */
        post: operations["createChat"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/{chat_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a chat
         * @description One chat the caller takes part in, with its files; anyone else gets 404.
         */
        get: operations["getChat"];
        put?: never;
        post?: never;
        /**
         * Delete a chat and its messages
         * @description Deletes the chat with its messages and files. Its creator may (or the owner or an admin of its workspace).
         */
        delete: operations["deleteChat"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/{chat_id}/upload": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload files to a chat
         * @description multipart/form-data with one or more files in the field `files` (at most 20). Each is checked as `POST /api/v1/files/upload` checks a file; if one is refused, none of the request is kept.
         */
        post: operations["uploadChatFiles"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/{chat_id}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the files of a chat
         * @description The files uploaded to the chat, for those who take part in it.
         */
        get: operations["listChatFiles"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/{chat_id}/files/{file_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download a file of a chat
         * @description The bytes, with the stored content type and `Content-Disposition: attachment`. The `ETag` is the SHA-256 of the bytes; with `If-None-Match` naming it the answer is a `304` with no body.
         */
        get: operations["downloadChatFile"];
        put?: never;
        post?: never;
        /**
         * Delete a file from a chat
         * @description Idempotent: a file already gone is a 204. Its uploader or the chat owner may delete it.
         */
        delete: operations["deleteChatFile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/{chat_id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Messages of a chat, oldest first
         * @description The chat's messages, oldest first, a page at a time.
         */
        get: operations["listChatMessages"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workspaces": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the workspaces the caller owns or belongs to
         * @description Sort by `created_at` (default `created_at:desc`), `name`, `updated_at` or `last_activity_at`.
         */
        get: operations["listWorkspaces"];
        put?: never;
        /**
         * Create a workspace
         * @description The caller becomes its owner. `path` (optional) must be absolute and normalized, and not used by another workspace (409 `WORKSPACE_PATH_TAKEN`). A new workspace has status `new`.
         */
        post: operations["createWorkspace"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workspaces/{workspace_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a workspace
         * @description Only members see a workspace: anyone else gets 404 `WORKSPACE_NOT_FOUND`.
         */
        get: operations["getWorkspace"];
        /**
         * Update a workspace (owner or admin)
         * @description Changes `name`, `status` or `path` (null clears it). Members and viewers get 403 `WORKSPACE_ADMIN_REQUIRED`.
         */
        put: operations["updateWorkspace"];
        post?: never;
        /**
         * Delete a workspace (owner only)
         * @description Deletes the workspace with its memberships, agent links and conversations. Other members get 403 `NOT_WORKSPACE_OWNER`; while a dispatch session runs in it, 409 `WORKSPACE_HAS_RUNNING_SESSIONS`.
         */
        delete: operations["deleteWorkspace"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workspaces/{workspace_id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a workspace's members
         * @description Only members see a workspace: anyone else gets 404 `WORKSPACE_NOT_FOUND`. Sort by `joined_at` (default, ascending) or `email`.
         */
        get: operations["listWorkspaceMembers"];
        put?: never;
        /**
         * Add a member (owner or admin)
         * @description Adds a registered user, by `user_id` or `email`, as `admin`, `member` or `viewer`. An unknown user is 404 `USER_NOT_FOUND`; one already a member is 409 `WORKSPACE_MEMBER_EXISTS`.
         */
        post: operations["addWorkspaceMember"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workspaces/{workspace_id}/members/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change a member's role (owner or admin)
         * @description The owner's role cannot be changed (409 `WORKSPACE_OWNER_LOCKED`).
         */
        put: operations["updateWorkspaceMember"];
        post?: never;
        /**
         * Remove a member (owner or admin), or leave
         * @description Any member may remove themself. The owner cannot be removed (409 `WORKSPACE_OWNER_LOCKED`).
         */
        delete: operations["removeWorkspaceMember"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workspaces/{workspace_id}/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the assistants attached to a workspace
         * @description Only members see a workspace: anyone else gets 404 `WORKSPACE_NOT_FOUND`. Sort by `attached_at` (default, ascending) or `name`.
         */
        get: operations["listWorkspaceAgents"];
        put?: never;
        /**
         * Attach an assistant to a workspace (owner or admin)
         * @description Idempotent: 201 when the assistant was attached by this call, 200 with the same body when it already was. An unknown assistant is 404 `ASSISTANT_NOT_FOUND`.
         */
        post: operations["attachWorkspaceAgent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workspaces/{workspace_id}/agents/{assistant_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Detach an assistant from a workspace (owner or admin)
         * @description An assistant not attached is 404 `WORKSPACE_AGENT_NOT_FOUND`. The assistant itself is not deleted.
         */
        delete: operations["detachWorkspaceAgent"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Basic health check
         * @description Answers while the process serves requests, and checks nothing else (see `GET /api/v1/health/detailed`). Needs no credential and is never rate limited.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/health/detailed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Health of each component, uptime and version
         * @description Each component (the database first) with its status; 503 when one of them fails. Needs no credential and is never rate limited.
         */
        get: operations["getDetailedHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller's webhooks
         * @description The caller's webhooks, a page at a time. Secrets are shown only when a webhook is made.
         */
        get: operations["listWebhooks"];
        put?: never;
        /**
         * Create a webhook
         * @description Deliveries are POSTed as `{ event, timestamp, data }` and signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`). Without `secret` one is generated; the secret is in this response only.
         */
        post: operations["createWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{webhook_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a webhook
         * @description One of the caller's webhooks, with its failures in a row and whether it is active; another user's is a 404.
         */
        get: operations["getWebhook"];
        put?: never;
        post?: never;
        /**
         * Delete a webhook and its delivery log
         * @description Deletes the webhook and its delivery log: nothing more is delivered to it.
         */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        /**
         * Update a webhook
         * @description Only the fields sent change. `is_active: true` re-enables a webhook disabled after failures.
         */
        patch: operations["updateWebhook"];
        trace?: never;
    };
    "/api/v1/webhooks/{webhook_id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The delivery log of a webhook, newest first
         * @description Every delivery of the webhook, newest first (`status` keeps one state): the body sent, the attempts, and the status, error and duration of the last one.
         */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a delivery again
         * @description Queues a new delivery with the same `webhook-id` and body; it appears in the log.
         */
        post: operations["redeliverWebhookDelivery"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{webhook_id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a test ping
         * @description Queues a `webhook.test` event for this webhook only; follow it in the delivery log.
         */
        post: operations["testWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/files/upload": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload a file
         * @description multipart/form-data with one file in the field `file`. The type is decided from the bytes as well as the name: a type not accepted, or bytes that are not what the name says, is a 415; a file over the limit of its kind a 413. Equal bytes are stored once.
         */
        post: operations["uploadFile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/files/{file_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download a file
         * @description The bytes, with the stored content type and `Content-Disposition: attachment`. Only its owner (or those who may see its chat) can read it. The `ETag` is the SHA-256 of the bytes; with `If-None-Match` naming it the answer is a `304` with no body.
         */
        get: operations["downloadFile"];
        put?: never;
        post?: never;
        /**
         * Delete a file
         * @description Idempotent: deleting a file that is gone (or is not yours) is a 204 and changes nothing.
         */
        delete: operations["deleteFile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/assistants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List assistants
         * @description The caller's own assistants, and others' active ones shared with them: `public` ones, and `workspace` ones attached to a workspace they are a member of (admins see all). `system_prompt` and `tools` are shown only on the caller's own (all, for admins). Filter by `status`, `category` or `owner_id` (`me` for the caller's); sort by `created_at`, `updated_at`, `name`, `status` or `category`.
         */
        get: operations["listAssistants"];
        put?: never;
        /**
         * Create an assistant
         * @description The caller owns it. It is `private` unless `visibility` says otherwise. `model` defaults to the server's default model (`offline` when no provider key is set); `tools` must name existing tools.
         */
        post: operations["createAssistant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/assistants/{assistant_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an assistant
         * @description An assistant the caller may not see (another user's private one, or one not active) is 404. `system_prompt` and `tools` are shown only to its owner and admins.
         */
        get: operations["getAssistant"];
        /**
         * Update an assistant (owner or admin)
         * @description Changes the fields sent. Someone else's visible assistant is 403 `NOT_ASSISTANT_OWNER`; one they cannot see is 404.
         */
        put: operations["updateAssistant"];
        post?: never;
        /**
         * Delete an assistant (owner or admin)
         * @description Its conversations stay, without an assistant.
         */
        delete: operations["deleteAssistant"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List tools
         * @description Built-in tools first (`current_time`, `calculator`), then custom HTTP tools. Filter by `category` or `kind`; sort by `name`, `category` or `created_at`.
         */
        get: operations["listTools"];
        put?: never;
        /**
         * Create a custom HTTP tool (admin only)
         * @description When the model calls it, the service sends the arguments to `url` (query parameters for GET and DELETE, a JSON body otherwise) and hands the answer back. It never reaches private, loopback or link-local addresses unless `WEBHOOK_ALLOW_PRIVATE` is true: such a URL is refused here with 422 `ADDRESS_NOT_ALLOWED`, and names are checked again on every call.
         */
        post: operations["createTool"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tools/{tool_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a tool
         * @description A built-in or custom tool by id, with the JSON Schema of its arguments.
         */
        get: operations["getTool"];
        put?: never;
        post?: never;
        /**
         * Delete a custom tool (admin only)
         * @description Assistants that list it stop offering it to their model. Built-in tools cannot be deleted (403).
         */
        delete: operations["deleteTool"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/model": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the configured models
         * @description The models of the providers whose keys are set, the default first; `offline` is always there. Any other model name of a configured provider works too.
         */
        get: operations["listModels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/aisuite/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A chat completion from any configured model
         * @description Sends `messages` to `model` (`provider:model`) and returns an OpenAI-style completion. With `stream: true` or `Accept: text/event-stream` the answer streams as Server-Sent Events: `delta` events (`{index, delta}`), then one `completed` event with the completion, or one `error` event with a v1 error body. Provider failures: 429 `MODEL_RATE_LIMITED` (with `Retry-After`), 502 `MODEL_UNAVAILABLE`/`MODEL_ERROR`, 504 `MODEL_TIMEOUT`.
         */
        post: operations["createChatCompletion"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run an assistant on text, images, audio or video
         * @description Runs the assistant with its system prompt, model and tools, and returns its answer with the tool calls it made. With `file_ids`, uploaded files you may read go with the text: TXT, CSV, JSON and XML as text (64 KiB each), others by name, type and size. The body is JSON, with `images`, `audio` and `video` in base64, or multipart/form-data, with the same text fields (`history` as JSON text, `file_ids` repeated) and the media as files in the fields `images` (up to 8), `audio` and `video`. Images (PNG, JPEG, GIF, WebP; 10 MiB each) and video (MP4, WebM, MOV, MKV; 25 MiB) go to the assistant's model when it takes them, else 422 `MODEL_INPUT_NOT_SUPPORTED` before any model is called. Audio (MP3, WAV, OGG, FLAC, M4A, WebM; 25 MiB) is transcribed (OpenAI's transcription API, with `OPENAI_API_KEY`) and the transcript is the text (after `input` when both are sent; it is returned as `transcript`); without an engine, 503 `TRANSCRIPTION_NOT_CONFIGURED`. Types are decided from the bytes: another type, or bytes that are not the type declared, is a 415; past a limit (or 40 MiB of media together) a 413.
         */
        post: operations["runAssistant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/run/audio": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run an assistant and hear its answer
         * @description Runs the assistant as `POST /run` does (with the same body, so a spoken question can get a spoken answer) and answers its reply as speech: with OpenAI's speech API when `OPENAI_API_KEY` is set, else with the local `espeak-ng` engine when it is installed (WAV only); with neither, 503 `SPEECH_NOT_CONFIGURED` says what to set up. `X-Run-Id` and `X-Model` name the run.
         */
        post: operations["runAssistantAudio"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/prompt_compiler/compile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Compile a rough request into a clear prompt
         * @description Done by `model` (or `modelid`), else the default model. With `offline` the result is a fixed, deterministic template.
         */
        post: operations["compilePrompt"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/prompt_compiler/compile/form": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Compile a prompt into a template and a form of its parameters
         * @description Returns the prompt with `{{name}}` placeholders, its parameters and a JSON Schema of them for a form. With `offline`, placeholders already in the prompt (`{{x}}`, `{x}`, `[x]`, `<x>`) become the parameters, else `context`, `tone` and `length`.
         */
        post: operations["compilePromptForm"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/prompt_compiler/update_parameters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Read parameter values out of a text
         * @description Finds each parameter's value in `prompt` (null when absent, or the parameter's default) and, given a `template`, fills its placeholders. With `offline` values are read from forms like `name: value`, `name is value`, or an enum option named anywhere.
         */
        post: operations["updatePromptParameters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Health check for monitoring
         * @description For monitors and orchestrators: 200 while the database answers, 503 when it does not. Needs no credential and is never rate limited.
         */
        get: operations["getInternalHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/ws/ticket": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Get a single-use ticket to open /ws from a browser
         * @description Browsers cannot set headers on a WebSocket: open `/ws?ticket=<ticket>` within `expires_in` seconds.
         */
        post: operations["createWebSocketTicket"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description The Prometheus text exposition format (0.0.4): HTTP requests and latency by route and status, WebSocket connections and frames, messages, assistant replies and their latency, webhook deliveries by outcome, event-loop lag and process metrics.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * Error
         * @example {
         *       "detail": "Validation failed: body.email must match format \"email\"",
         *       "status_code": 422,
         *       "error_code": "VALIDATION_ERROR",
         *       "errors": [
         *         {
         *           "field": "body.email",
         *           "message": "must match format \"email\""
         *         }
         *       ]
         *     }
         */
        ErrorResponse: {
            /** @description What went wrong, for people. */
            detail: string;
            /** @description The HTTP status, repeated. */
            status_code: number;
            /** @description A stable code for programs, e.g. `VALIDATION_ERROR`, `USER_NOT_FOUND`. */
            error_code: string;
            /** @description The failing fields of a validation error. */
            errors?: components["schemas"]["FieldError"][];
        };
        FieldError: {
            /** @description Where the failing value is, e.g. `body.email`. */
            field: string;
            message: string;
        };
        /**
         * @example {
         *       "email": "ada@example.com",
         *       "password": "violet harbor 71 lantern"
         *     }
         */
        LoginRequest: {
            email: string;
            password: string;
        };
        /**
         * @example {
         *       "refresh_token": "the refresh_token that POST /api/v1/auth/login answered"
         *     }
         */
        LogoutRequest: {
            refresh_token?: string;
        };
        /**
         * @example {
         *       "refresh_token": "the refresh_token that POST /api/v1/auth/login answered"
         *     }
         */
        RefreshRequest: {
            /** @description The refresh token; a browser leaves it out and sends the `refresh_token` cookie. */
            refresh_token?: string;
        };
        /**
         * @example {
         *       "email": "ada@example.com",
         *       "password": "violet harbor 71 lantern",
         *       "full_name": "Ada Lovelace"
         *     }
         */
        RegisterRequest: {
            /**
             * Format: email
             * @example user@example.com
             */
            email: string;
            /** @description At least 8 characters, and not easy to guess: common passwords, single words, repeats and keyboard runs are refused (422 `WEAK_PASSWORD`). */
            password: string;
            full_name?: string | null;
        };
        /**
         * @example {
         *       "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzNmYzYy0xZDJlLTdhM2ItOGM0ZC01ZTZmN2E4YjljMGQifQ.c2lnbmF0dXJl",
         *       "refresh_token": "rt_Yk3q9vX2mZpL8sT1wQ4nB7cE",
         *       "token_type": "bearer",
         *       "expires_in": 1800
         *     }
         */
        TokenResponse: {
            /** @description A JWT; send it as `Authorization: Bearer <access_token>`. */
            access_token: string;
            /** @description Opaque; works once, exchange it at `/auth/refresh`. */
            refresh_token: string;
            /** @enum {string} */
            token_type: "bearer";
            /**
             * @description Seconds until the access token expires.
             * @example 1800
             */
            expires_in: number;
        };
        /**
         * @example {
         *       "full_name": "Grace Hopper",
         *       "role": "user",
         *       "is_active": true
         *     }
         */
        AdminUpdateUserRequest: {
            full_name?: string | null;
            /**
             * Format: email
             * @example user@example.com
             */
            email?: string;
            /** @description At least 8 characters, and not easy to guess: common passwords, single words, repeats and keyboard runs are refused (422 `WEAK_PASSWORD`). */
            password?: string;
            /** @enum {string} */
            role?: "admin" | "user";
            is_active?: boolean;
        };
        /**
         * @example {
         *       "full_name": "Ada King"
         *     }
         */
        UpdateMeRequest: {
            full_name?: string | null;
            /**
             * Format: email
             * @example user@example.com
             */
            email?: string;
            /** @description At least 8 characters, and not easy to guess: common passwords, single words, repeats and keyboard runs are refused (422 `WEAK_PASSWORD`). */
            password?: string;
            /** @description Required to change the password. */
            current_password?: string;
        };
        /**
         * @example {
         *       "id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "email": "ada@example.com",
         *       "full_name": "Ada Lovelace",
         *       "role": "user",
         *       "is_active": true,
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "updated_at": "2024-01-15T10:30:00.000Z"
         *     }
         */
        User: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            /** Format: email */
            email: string;
            full_name: string | null;
            /** @enum {string} */
            role: "admin" | "user";
            is_active: boolean;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *           "email": "ada@example.com",
         *           "full_name": "Ada Lovelace",
         *           "role": "user",
         *           "is_active": true,
         *           "created_at": "2024-01-15T10:30:00.000Z",
         *           "updated_at": "2024-01-15T10:30:00.000Z"
         *         }
         *       ],
         *       "total": 1,
         *       "page": 1,
         *       "size": 20,
         *       "pages": 1,
         *       "has_next": false,
         *       "has_prev": false
         *     }
         */
        UserPage: {
            items: components["schemas"]["User"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @example {
         *       "id": "01936f3c-7f60-7a99-9376-8192a3b4c5d6",
         *       "name": "CI",
         *       "prefix": "ak_3f9c2b",
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "last_used_at": "2024-01-15T10:31:12.000Z"
         *     }
         */
        ApiKey: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            name: string;
            /** @description The first characters of the key, to tell keys apart. */
            prefix: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            last_used_at: string | null;
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "id": "01936f3c-7f60-7a99-9376-8192a3b4c5d6",
         *           "name": "CI",
         *           "prefix": "ak_3f9c2b",
         *           "created_at": "2024-01-15T10:30:00.000Z",
         *           "last_used_at": "2024-01-15T10:31:12.000Z"
         *         }
         *       ],
         *       "total": 1,
         *       "page": 1,
         *       "size": 20,
         *       "pages": 1,
         *       "has_next": false,
         *       "has_prev": false
         *     }
         */
        ApiKeyPage: {
            items: components["schemas"]["ApiKey"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @example {
         *       "name": "Nightly report"
         *     }
         */
        CreateApiKeyRequest: {
            name: string;
        };
        /**
         * @example {
         *       "id": "01936f3c-7f60-7a99-9376-8192a3b4c5d6",
         *       "name": "CI",
         *       "prefix": "ak_3f9c2b",
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "last_used_at": null,
         *       "key": "ak_3f9c2b7d1e8a4c6f9b0d2e5a7c1f3b8d"
         *     }
         */
        CreatedApiKey: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            name: string;
            prefix: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            last_used_at: string | null;
            /** @description The key itself. It is shown only once; send it as `Authorization: Bearer <key>`. */
            key: string;
        };
        ComponentHealth: {
            /** @enum {string} */
            status: "ok" | "error";
            latency_ms: number;
            detail?: string;
        };
        DetailedHealth: {
            /** @enum {string} */
            status: "ok" | "degraded";
            version: string;
            uptime_seconds: number;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            timestamp: string;
            components: {
                database: components["schemas"]["ComponentHealth"];
            };
        };
        Health: {
            /** @enum {string} */
            status: "ok";
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            timestamp: string;
        };
        InternalHealth: {
            /** @enum {string} */
            status: "healthy" | "unhealthy";
            /** @enum {string} */
            database: "ok" | "error";
            version: string;
            uptime_seconds: number;
        };
        /**
         * @description Give exactly one of `user_id` or `email`.
         * @example {
         *       "email": "grace@example.com",
         *       "role": "member"
         *     }
         */
        AddWorkspaceMemberRequest: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            user_id?: string;
            /** @description The email of a registered user. */
            email?: string;
            role: components["schemas"]["AssignableWorkspaceRole"];
        };
        /**
         * @description A role that can be given to a member; `owner` belongs to the creator alone.
         * @enum {string}
         */
        AssignableWorkspaceRole: "admin" | "member" | "viewer";
        /**
         * @example {
         *       "assistant_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d"
         *     }
         */
        AttachWorkspaceAgentRequest: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            assistant_id: string;
        };
        /**
         * @example {
         *       "name": "Research"
         *     }
         */
        CreateWorkspaceRequest: {
            /** @example My Project */
            name: string;
            path?: string | null;
        };
        /**
         * @example {
         *       "role": "viewer"
         *     }
         */
        UpdateWorkspaceMemberRequest: {
            role: components["schemas"]["AssignableWorkspaceRole"];
        };
        /**
         * @example {
         *       "name": "Research team",
         *       "status": "active"
         *     }
         */
        UpdateWorkspaceRequest: {
            /** @example My Project */
            name?: string;
            status?: components["schemas"]["WorkspaceStatus"];
            /** @description A new path, or null to clear it. */
            path?: string | null;
        };
        /**
         * @example {
         *       "id": "01936f3c-5d40-7e77-b154-6f8091a2b3c4",
         *       "name": "My Project",
         *       "path": "/workspace/my-project",
         *       "status": "active",
         *       "owner_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "role": "owner",
         *       "agents": [
         *         "01936f3c-2a10-7b44-9e21-3c5d6e7f8a90"
         *       ],
         *       "member_count": 2,
         *       "last_activity_at": "2024-01-15T10:31:12.000Z",
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "updated_at": "2024-01-15T10:31:12.000Z"
         *     }
         */
        Workspace: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            name: string;
            path: string | null;
            status: components["schemas"]["WorkspaceStatus"];
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            owner_id: string;
            role: components["schemas"]["WorkspaceRole"];
            /** @description Ids of the assistants attached to the workspace, oldest first. */
            agents: string[];
            member_count: number;
            /** @description The last conversation or message in it; null before any. */
            last_activity_at: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
        };
        WorkspaceAgent: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            assistant_id: string;
            name: string;
            description: string | null;
            /** @enum {string} */
            status: "active" | "inactive" | "draft";
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            attached_at: string;
        };
        WorkspaceAgentPage: {
            items: components["schemas"]["WorkspaceAgent"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        WorkspaceMember: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            user_id: string;
            /** Format: email */
            email: string;
            full_name: string | null;
            role: components["schemas"]["WorkspaceRole"];
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            joined_at: string;
        };
        WorkspaceMemberPage: {
            items: components["schemas"]["WorkspaceMember"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "id": "01936f3c-5d40-7e77-b154-6f8091a2b3c4",
         *           "name": "My Project",
         *           "path": "/workspace/my-project",
         *           "status": "active",
         *           "owner_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *           "role": "owner",
         *           "agents": [
         *             "01936f3c-2a10-7b44-9e21-3c5d6e7f8a90"
         *           ],
         *           "member_count": 2,
         *           "last_activity_at": "2024-01-15T10:31:12.000Z",
         *           "created_at": "2024-01-15T10:30:00.000Z",
         *           "updated_at": "2024-01-15T10:31:12.000Z"
         *         }
         *       ],
         *       "total": 1,
         *       "page": 1,
         *       "size": 20,
         *       "pages": 1,
         *       "has_next": false,
         *       "has_prev": false
         *     }
         */
        WorkspacePage: {
            items: components["schemas"]["Workspace"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @description owner: everything, alone can delete; admin: change the workspace, its members and agents; member: read and take part; viewer: read.
         * @enum {string}
         */
        WorkspaceRole: "owner" | "admin" | "member" | "viewer";
        /**
         * @description `new` until the first activity in it (then `active`); `archived` when put away.
         * @enum {string}
         */
        WorkspaceStatus: "new" | "active" | "archived";
        /** @description A stored file (`file_id`, from an upload) or a link (`url`). */
        Attachment: {
            /**
             * @description `file`, `image`, `link`, …
             * @example file
             */
            type: string;
            /** Format: uri */
            url?: string;
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            file_id?: string;
            name?: string;
            /** @description Set by the server for stored files. */
            content_type?: string;
            /** @description Bytes; set by the server for stored files. */
            size?: number;
        };
        CancelledReplies: {
            /** @description How many replies (running or queued) were cancelled. */
            cancelled: number;
        };
        /**
         * @example {
         *       "id": "01936f3c-3b20-7c55-8f32-4d6e7f8091a2",
         *       "title": "Sums",
         *       "assistant_id": "01936f3c-2a10-7b44-9e21-3c5d6e7f8a90",
         *       "workspace_id": null,
         *       "creator_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "is_ai": true,
         *       "last_seq": 2,
         *       "last_message_at": "2024-01-15T10:31:12.000Z",
         *       "unread_count": 0,
         *       "model_id": "offline",
         *       "model_api_source": "offline",
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "updated_at": "2024-01-15T10:31:12.000Z"
         *     }
         */
        Conversation: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            title: string | null;
            assistant_id: string | null;
            workspace_id: string | null;
            /** @description Null once the creator’s account is deleted */
            creator_id: string | null;
            /** @description true for a conversation with an assistant, false between people. */
            is_ai: boolean;
            /** @description The seq of the newest message. */
            last_seq: number;
            last_message_at: string | null;
            /** @description Others' messages after the caller's read mark. */
            unread_count: number;
            model_id: string | null;
            model_api_source: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
        };
        /**
         * @example {
         *       "id": "01936f3c-3b20-7c55-8f32-4d6e7f8091a2",
         *       "title": "Sums",
         *       "assistant_id": "01936f3c-2a10-7b44-9e21-3c5d6e7f8a90",
         *       "workspace_id": null,
         *       "creator_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "is_ai": true,
         *       "last_seq": 2,
         *       "last_message_at": "2024-01-15T10:31:12.000Z",
         *       "unread_count": 0,
         *       "model_id": "offline",
         *       "model_api_source": "offline",
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "updated_at": "2024-01-15T10:31:12.000Z",
         *       "participants": [
         *         {
         *           "user_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *           "last_read_seq": 2,
         *           "joined_at": "2024-01-15T10:30:00.000Z"
         *         }
         *       ],
         *       "messages": [
         *         {
         *           "id": "01936f3c-4c30-7d66-a043-5e7f8091a2b3",
         *           "conversation_id": "01936f3c-3b20-7c55-8f32-4d6e7f8091a2",
         *           "seq": 1,
         *           "role": "user",
         *           "sender_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *           "content": "What is 6 times 8?",
         *           "attachments": [],
         *           "status": "completed",
         *           "tool_call": null,
         *           "client_msg_id": null,
         *           "created_at": "2024-01-15T10:30:00.000Z",
         *           "updated_at": "2024-01-15T10:30:00.000Z",
         *           "edited_at": null,
         *           "deleted_at": null
         *         },
         *         {
         *           "id": "01936f3c-4c31-7d66-a043-5e7f8091a2b4",
         *           "conversation_id": "01936f3c-3b20-7c55-8f32-4d6e7f8091a2",
         *           "seq": 2,
         *           "role": "assistant",
         *           "sender_id": null,
         *           "content": "You said: \"What is 6 times 8?\"",
         *           "attachments": [],
         *           "status": "completed",
         *           "tool_call": null,
         *           "client_msg_id": null,
         *           "created_at": "2024-01-15T10:31:12.000Z",
         *           "updated_at": "2024-01-15T10:31:14.000Z",
         *           "edited_at": null,
         *           "deleted_at": null
         *         }
         *       ]
         *     }
         */
        ConversationDetail: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            title: string | null;
            assistant_id: string | null;
            workspace_id: string | null;
            /** @description Null once the creator’s account is deleted */
            creator_id: string | null;
            /** @description true for a conversation with an assistant, false between people. */
            is_ai: boolean;
            /** @description The seq of the newest message. */
            last_seq: number;
            last_message_at: string | null;
            /** @description Others' messages after the caller's read mark. */
            unread_count: number;
            model_id: string | null;
            model_api_source: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
            participants: components["schemas"]["Participant"][];
            /** @description The latest messages, oldest first (at most 50). */
            messages: components["schemas"]["Message"][];
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "id": "01936f3c-3b20-7c55-8f32-4d6e7f8091a2",
         *           "title": "Sums",
         *           "assistant_id": "01936f3c-2a10-7b44-9e21-3c5d6e7f8a90",
         *           "workspace_id": null,
         *           "creator_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *           "is_ai": true,
         *           "last_seq": 2,
         *           "last_message_at": "2024-01-15T10:31:12.000Z",
         *           "unread_count": 0,
         *           "model_id": "offline",
         *           "model_api_source": "offline",
         *           "created_at": "2024-01-15T10:30:00.000Z",
         *           "updated_at": "2024-01-15T10:31:12.000Z"
         *         }
         *       ],
         *       "total": 1,
         *       "page": 1,
         *       "size": 20,
         *       "pages": 1,
         *       "has_next": false,
         *       "has_prev": false
         *     }
         */
        ConversationPage: {
            items: components["schemas"]["Conversation"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @example {
         *       "title": "A weekend in Lisbon",
         *       "initial_message": "Hello! Can you help me plan a weekend in Lisbon?"
         *     }
         */
        CreateConversationRequest: {
            assistant_id?: string | null;
            title?: string | null;
            initial_message?: string | null;
            workspace_id?: string | null;
            /** @description Other people in the conversation. */
            participant_ids?: string[];
            /** @description Defaults to true with an assistant or no other participant. */
            is_ai?: boolean;
        };
        /**
         * @example {
         *       "content": "What is 6 times 8?"
         *     }
         */
        EditMessageRequest: {
            content: string;
        };
        /**
         * @example {
         *       "seq": 1
         *     }
         */
        MarkReadRequest: {
            /** @description The newest seq the caller has read. */
            seq: number;
        };
        /**
         * @example {
         *       "id": "01936f3c-4c31-7d66-a043-5e7f8091a2b4",
         *       "conversation_id": "01936f3c-3b20-7c55-8f32-4d6e7f8091a2",
         *       "seq": 2,
         *       "role": "assistant",
         *       "sender_id": null,
         *       "content": "You said: \"What is 6 times 8?\"",
         *       "attachments": [],
         *       "status": "completed",
         *       "tool_call": null,
         *       "client_msg_id": null,
         *       "created_at": "2024-01-15T10:31:12.000Z",
         *       "updated_at": "2024-01-15T10:31:14.000Z",
         *       "edited_at": null,
         *       "deleted_at": null
         *     }
         */
        Message: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            conversation_id: string;
            /** @description Position in the conversation: 1, 2, 3, … Orders messages and makes cursors. */
            seq: number;
            role: components["schemas"]["MessageRole"];
            sender_id: string | null;
            /** @description Empty for a deleted message (a tombstone). */
            content: string;
            attachments: components["schemas"]["Attachment"][];
            status: components["schemas"]["MessageStatus"];
            /** @description The call or the result a `tool` message records; null for every other message. */
            tool_call: components["schemas"]["ToolCallMade"] | components["schemas"]["ToolCallResult"] | null;
            client_msg_id: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
            edited_at: string | null;
            deleted_at: string | null;
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "id": "01936f3c-4c31-7d66-a043-5e7f8091a2b4",
         *           "conversation_id": "01936f3c-3b20-7c55-8f32-4d6e7f8091a2",
         *           "seq": 2,
         *           "role": "assistant",
         *           "sender_id": null,
         *           "content": "You said: \"What is 6 times 8?\"",
         *           "attachments": [],
         *           "status": "completed",
         *           "tool_call": null,
         *           "client_msg_id": null,
         *           "created_at": "2024-01-15T10:31:12.000Z",
         *           "updated_at": "2024-01-15T10:31:14.000Z",
         *           "edited_at": null,
         *           "deleted_at": null
         *         }
         *       ],
         *       "has_more": true,
         *       "last_seq": 2
         *     }
         */
        MessageHistory: {
            items: components["schemas"]["Message"][];
            /** @description More messages lie beyond this page in the direction of the cursor. */
            has_more: boolean;
            last_seq: number;
        };
        /** @enum {string} */
        MessageRole: "user" | "assistant" | "system" | "tool";
        /** @enum {string} */
        MessageStatus: "pending" | "streaming" | "completed" | "failed" | "cancelled";
        Participant: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            user_id: string;
            last_read_seq: number;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            joined_at: string;
        };
        ReadState: {
            last_read_seq: number;
            unread_count: number;
        };
        /**
         * @example {
         *       "content": "What is 6 times 7?"
         *     }
         */
        SendMessageRequest: {
            content: string;
            attachments?: components["schemas"]["Attachment"][];
            /** @description Your id for this message: a retried send with the same id makes one message. */
            client_msg_id?: string;
        };
        /** @description A tool call the assistant made. */
        ToolCallMade: {
            /** @enum {string} */
            kind: "call";
            /** @description The model's id for the call; its result carries the same. */
            id: string;
            /** @description The tool called. */
            name: string;
            /** @description The arguments, as the JSON text the model wrote. */
            arguments: string;
        };
        /** @description The result of a tool call, given back to the model. */
        ToolCallResult: {
            /** @enum {string} */
            kind: "result";
            /** @description The id of the call this answers. */
            id: string;
            /** @description The tool that was called. */
            name: string;
            /** @description true when the tool failed: `content` says how. */
            is_error: boolean;
        };
        /**
         * @example {
         *       "title": "Lisbon in May"
         *     }
         */
        UpdateConversationRequest: {
            title?: string | null;
        };
        Chat: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            chat_id: string;
            user_id: string | null;
            current_model_id: string | null;
            current_model_api_source: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_timestamp: string;
            /** @description Files uploaded to the chat (the newest 100). */
            files: components["schemas"]["File"][];
        };
        ChatMessage: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            message_id: string;
            chat_id: string;
            /** @enum {string} */
            role: "user" | "assistant" | "system" | "tool";
            content: string;
            /** @description Ids of attached files. */
            files: string[];
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            timestamp: string;
        };
        ChatMessagePage: {
            items: components["schemas"]["ChatMessage"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        ChatPage: {
            items: components["schemas"]["Chat"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @example {
         *       "model_id": "offline",
         *       "model_api_source": "offline"
         *     }
         */
        CreateChatRequest: {
            /** @example gpt-4 */
            model_id: string;
            /** @example openai */
            model_api_source: string;
        };
        WsTicket: {
            /** @description Pass as `/ws?ticket=…`. Works once. */
            ticket: string;
            /** @description Seconds the ticket stays valid. */
            expires_in: number;
        };
        /**
         * @example {
         *       "url": "https://example.com/hooks/assistant",
         *       "events": [
         *         "conversation.created",
         *         "message.received"
         *       ],
         *       "description": "Our CRM"
         *     }
         */
        CreateWebhookRequest: {
            /**
             * Format: uri
             * @description Where deliveries are POSTed. Private, loopback and link-local addresses are refused unless the server allows them.
             * @example https://example.com/hooks/assistant
             */
            url: string;
            /** @description The events to deliver. */
            events: components["schemas"]["WebhookEventName"][];
            /** @description The signing secret. A `whsec_` + base64 secret is used as Standard Webhooks defines; any other string is used as raw bytes (verify with `new Webhook(secret, { format: "raw" })`). */
            secret?: string;
            description?: string | null;
            /** @default true */
            is_active: boolean;
        };
        /**
         * @example {
         *       "id": "01936f3c-8070-7baa-a487-92a3b4c5d6e7",
         *       "url": "https://example.com/hooks/assistant",
         *       "events": [
         *         "conversation.created"
         *       ],
         *       "description": "New conversations to the CRM",
         *       "is_active": true,
         *       "consecutive_failures": 0,
         *       "disabled_at": null,
         *       "disabled_reason": null,
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "updated_at": "2024-01-15T10:30:00.000Z",
         *       "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
         *     }
         */
        CreatedWebhook: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            url: string;
            events: components["schemas"]["WebhookEventName"][];
            description: string | null;
            /** @description false when turned off by its owner or disabled after repeated failures. */
            is_active: boolean;
            /** @description Failed deliveries in a row; past a bound the webhook is disabled. */
            consecutive_failures: number;
            disabled_at: string | null;
            disabled_reason: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
            /** @description The signing secret: shown in this response only. */
            secret: string;
        };
        /**
         * @example {
         *       "events": [
         *         "message.received"
         *       ],
         *       "description": "Our CRM, messages only"
         *     }
         */
        UpdateWebhookRequest: {
            /**
             * Format: uri
             * @description Where deliveries are POSTed. Private, loopback and link-local addresses are refused unless the server allows them.
             * @example https://example.com/hooks/assistant
             */
            url?: string;
            /** @description The events to deliver. */
            events?: components["schemas"]["WebhookEventName"][];
            /** @description The signing secret. A `whsec_` + base64 secret is used as Standard Webhooks defines; any other string is used as raw bytes (verify with `new Webhook(secret, { format: "raw" })`). */
            secret?: string;
            description?: string | null;
            /** @description true re-enables a webhook disabled after failures. */
            is_active?: boolean;
        };
        /**
         * @example {
         *       "id": "01936f3c-8070-7baa-a487-92a3b4c5d6e7",
         *       "url": "https://example.com/hooks/assistant",
         *       "events": [
         *         "conversation.created"
         *       ],
         *       "description": "New conversations to the CRM",
         *       "is_active": true,
         *       "consecutive_failures": 0,
         *       "disabled_at": null,
         *       "disabled_reason": null,
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "updated_at": "2024-01-15T10:30:00.000Z"
         *     }
         */
        Webhook: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            url: string;
            events: components["schemas"]["WebhookEventName"][];
            description: string | null;
            /** @description false when turned off by its owner or disabled after repeated failures. */
            is_active: boolean;
            /** @description Failed deliveries in a row; past a bound the webhook is disabled. */
            consecutive_failures: number;
            disabled_at: string | null;
            disabled_reason: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
        };
        WebhookDelivery: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            webhook_id: string;
            /** @description The `webhook-id` header: the same on every attempt, so receivers can drop duplicates. */
            message_id: string;
            /** @description The event name, or `webhook.test` for a test ping. */
            event: string;
            /** @enum {string} */
            status: "pending" | "succeeded" | "failed";
            attempts: number;
            /** @description When a pending delivery is tried next. */
            next_attempt_at: string | null;
            last_status_code: number | null;
            last_error: string | null;
            last_duration_ms: number | null;
            delivered_at: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
            payload: components["schemas"]["WebhookPayload"];
        };
        WebhookDeliveryPage: {
            items: components["schemas"]["WebhookDelivery"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @description An event a webhook can subscribe to.
         * @enum {string}
         */
        WebhookEventName: "conversation.created" | "conversation.updated" | "message.received" | "assistant.status_changed" | "user.created" | "user.updated";
        /**
         * @example {
         *       "items": [
         *         {
         *           "id": "01936f3c-8070-7baa-a487-92a3b4c5d6e7",
         *           "url": "https://example.com/hooks/assistant",
         *           "events": [
         *             "conversation.created"
         *           ],
         *           "description": "New conversations to the CRM",
         *           "is_active": true,
         *           "consecutive_failures": 0,
         *           "disabled_at": null,
         *           "disabled_reason": null,
         *           "created_at": "2024-01-15T10:30:00.000Z",
         *           "updated_at": "2024-01-15T10:30:00.000Z"
         *         }
         *       ],
         *       "total": 1,
         *       "page": 1,
         *       "size": 20,
         *       "pages": 1,
         *       "has_next": false,
         *       "has_prev": false
         *     }
         */
        WebhookPage: {
            items: components["schemas"]["Webhook"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        WebhookPayload: {
            /**
             * @description The event, or `webhook.test` for a test delivery.
             * @enum {string}
             */
            event: "conversation.created" | "conversation.updated" | "message.received" | "assistant.status_changed" | "user.created" | "user.updated" | "webhook.test";
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            timestamp: string;
            /** @description What the event is about: the ids of what it concerns, and the object itself where there is one. */
            data: {
                /** @description The user the event is about, or who caused it. */
                user_id?: string | null;
                /**
                 * Format: uuid
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id?: string;
                assistant_id?: string | null;
                workspace_id?: string | null;
                /**
                 * Format: uuid
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                message_id?: string;
                /**
                 * Format: uuid
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                webhook_id?: string;
                /** @description The message's seq in its conversation. */
                seq?: number;
                /** @description The assistant status of `assistant.status_changed`. */
                status?: string;
                /** @description The user, as `GET /api/v1/users/{user_id}` shows it. */
                user?: {
                    [key: string]: unknown;
                };
                /** @description The conversation, without its messages. */
                conversation?: {
                    [key: string]: unknown;
                };
                /** @description The message received (an object, as `GET …/messages/{message_id}` shows it), or the text of a test delivery. */
                message?: string | {
                    [key: string]: unknown;
                };
            } & {
                [key: string]: unknown;
            };
        };
        /**
         * @example {
         *       "fileid": "01936f3c-6e50-7f88-8265-708192a3b4c5",
         *       "filename": "notes.pdf",
         *       "uploaded_at": "2024-01-15T10:30:00.000Z",
         *       "userid": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "content_type": "application/pdf",
         *       "size": 48213,
         *       "kind": "document",
         *       "chat_id": null
         *     }
         */
        File: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            fileid: string;
            filename: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            uploaded_at: string;
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            userid: string;
            /** @description Decided by the server from the name and the bytes, never taken from the client. */
            content_type: string;
            /** @description Bytes. */
            size: number;
            /** @enum {string} */
            kind: "image" | "document" | "data" | "archive";
            /** @description The chat the file was uploaded to, or null. */
            chat_id: string | null;
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "fileid": "01936f3c-6e50-7f88-8265-708192a3b4c5",
         *           "filename": "notes.pdf",
         *           "uploaded_at": "2024-01-15T10:30:00.000Z",
         *           "userid": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *           "content_type": "application/pdf",
         *           "size": 48213,
         *           "kind": "document",
         *           "chat_id": null
         *         }
         *       ],
         *       "total": 1,
         *       "page": 1,
         *       "size": 20,
         *       "pages": 1,
         *       "has_next": false,
         *       "has_prev": false
         *     }
         */
        FilePage: {
            items: components["schemas"]["File"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        UploadFileRequest: {
            /**
             * Format: binary
             * @description The file. Accepted: PNG, JPG, GIF, WebP (images, 10 MB); PDF, DOC, DOCX, TXT (documents, 50 MB); CSV, JSON, XML (data, 100 MB); ZIP, RAR (archives, 50 MB). The type is decided from the bytes as well as the name.
             */
            file: string;
        };
        UploadFilesRequest: {
            /** @description One or more files; the limits of `UploadFileRequest` apply to each. */
            files: string[];
        };
        /**
         * @example {
         *       "id": "01936f3c-2a10-7b44-9e21-3c5d6e7f8a90",
         *       "name": "Helper",
         *       "description": "Answers questions and does sums",
         *       "personality": "Patient and precise",
         *       "system_prompt": "You are a helpful assistant. Use the calculator for arithmetic.",
         *       "tools": [
         *         "calculator"
         *       ],
         *       "model": "offline",
         *       "temperature": 0.7,
         *       "status": "active",
         *       "visibility": "private",
         *       "category": null,
         *       "owner_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "created_at": "2024-01-15T10:30:00.000Z",
         *       "updated_at": "2024-01-15T10:30:00.000Z"
         *     }
         */
        Assistant: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            name: string;
            description: string | null;
            personality: string | null;
            /** @description Shown only to the owner and admins. */
            system_prompt?: string | null;
            /** @description Ids of the tools it may call; shown only to the owner and admins. */
            tools?: string[];
            /** @description The model, as `provider:model`. */
            model: string;
            temperature: number;
            status: components["schemas"]["AssistantStatus"];
            visibility: components["schemas"]["AssistantVisibility"];
            category: string | null;
            /** @description The user who created it; null if that user was deleted. */
            owner_id: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            updated_at: string;
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "id": "01936f3c-2a10-7b44-9e21-3c5d6e7f8a90",
         *           "name": "Helper",
         *           "description": "Answers questions and does sums",
         *           "personality": "Patient and precise",
         *           "system_prompt": "You are a helpful assistant. Use the calculator for arithmetic.",
         *           "tools": [
         *             "calculator"
         *           ],
         *           "model": "offline",
         *           "temperature": 0.7,
         *           "status": "active",
         *           "visibility": "private",
         *           "category": null,
         *           "owner_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *           "created_at": "2024-01-15T10:30:00.000Z",
         *           "updated_at": "2024-01-15T10:30:00.000Z"
         *         }
         *       ],
         *       "total": 1,
         *       "page": 1,
         *       "size": 20,
         *       "pages": 1,
         *       "has_next": false,
         *       "has_prev": false
         *     }
         */
        AssistantPage: {
            items: components["schemas"]["Assistant"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /**
         * @description Only `active` assistants are seen by others (as `visibility` says); `inactive` and `draft` ones only by their owner and admins.
         * @enum {string}
         */
        AssistantStatus: "active" | "inactive" | "draft";
        /**
         * @description Who besides its owner and admins sees and uses the assistant while it is `active`: nobody (`private`, the default), the members of the workspaces it is attached to (`workspace`), or everyone signed in (`public`).
         * @enum {string}
         */
        AssistantVisibility: "private" | "workspace" | "public";
        /**
         * @example {
         *       "name": "Travel planner",
         *       "description": "Plans trips and does the sums",
         *       "personality": "Friendly and precise",
         *       "system_prompt": "You help people plan trips. Use the calculator for any arithmetic.",
         *       "tools": [
         *         "calculator",
         *         "current_time"
         *       ],
         *       "model": "offline",
         *       "temperature": 0.7,
         *       "visibility": "private"
         *     }
         */
        CreateAssistantRequest: {
            name: string;
            description?: null | string;
            personality?: null | string;
            system_prompt?: null | string;
            /** @description Ids of tools the assistant may call (see `GET /api/v1/tools`). */
            tools?: string[];
            /**
             * @description A model as `provider:model` (`openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-6`, `groq:llama-3.3-70b-versatile`, `bedrock:amazon.nova-lite-v1:0`, `offline`); see `GET /api/v1/model`.
             * @example offline
             * @example openai:gpt-4o-mini
             */
            model?: string;
            /** @description Sampling temperature (0–2; Anthropic models use at most 1). */
            temperature?: number;
            status?: components["schemas"]["AssistantStatus"];
            visibility?: components["schemas"]["AssistantVisibility"];
            category?: null | string;
        };
        /**
         * @description The fields to change; the others keep their values.
         * @example {
         *       "temperature": 0.3,
         *       "status": "active"
         *     }
         */
        UpdateAssistantRequest: {
            name?: string;
            description?: null | string;
            personality?: null | string;
            system_prompt?: null | string;
            /** @description Ids of tools the assistant may call (see `GET /api/v1/tools`). */
            tools?: string[];
            /**
             * @description A model as `provider:model` (`openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-6`, `groq:llama-3.3-70b-versatile`, `bedrock:amazon.nova-lite-v1:0`, `offline`); see `GET /api/v1/model`.
             * @example offline
             * @example openai:gpt-4o-mini
             */
            model?: string;
            /** @description Sampling temperature (0–2; Anthropic models use at most 1). */
            temperature?: number;
            status?: components["schemas"]["AssistantStatus"];
            visibility?: components["schemas"]["AssistantVisibility"];
            category?: null | string;
        };
        /**
         * @example {
         *       "name": "weather",
         *       "description": "The current weather in a city",
         *       "parameters": {
         *         "type": "object",
         *         "properties": {
         *           "city": {
         *             "type": "string",
         *             "description": "A city name"
         *           }
         *         },
         *         "required": [
         *           "city"
         *         ]
         *       },
         *       "url": "https://example.com/weather",
         *       "method": "GET"
         *     }
         */
        CreateToolRequest: {
            /** @description Letters, digits, `_` and `-`; unique among all tools. */
            name: string;
            description: string;
            /** @default custom */
            category: string;
            /** @description A JSON Schema of an object (`{"type":"object","properties":{...},"required":[...]}`), or the short form `{"query":{"type":"string","required":true}}`, which is converted. */
            parameters: {
                [key: string]: unknown;
            };
            /**
             * Format: uri
             * @description http(s) URL. GET and DELETE get the arguments as query parameters, the others as a JSON body.
             */
            url: string;
            method?: components["schemas"]["HttpMethod"];
        };
        /** @enum {string} */
        HttpMethod: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
        /**
         * @description A JSON Schema of an object: the arguments a tool takes.
         * @example {
         *       "type": "object",
         *       "properties": {
         *         "query": {
         *           "type": "string",
         *           "description": "Search query"
         *         }
         *       },
         *       "required": [
         *         "query"
         *       ]
         *     }
         */
        JsonSchemaObject: {
            /** @enum {string} */
            type: "object";
            properties?: {
                [key: string]: unknown;
            };
            required?: string[];
        } & {
            [key: string]: unknown;
        };
        Tool: {
            /** @description A built-in tool's name (`calculator`), or a custom tool's UUID. */
            id: string;
            /** @description The name the model calls it by. */
            name: string;
            description: string;
            category: string;
            parameters: components["schemas"]["JsonSchemaObject"];
            /**
             * @description `builtin` tools run in the service; `http` tools are custom tools that call a URL.
             * @enum {string}
             */
            kind: "builtin" | "http";
            /** @description The URL an `http` tool calls (shown to admins only). */
            url?: string;
            method?: components["schemas"]["HttpMethod"];
            /** @description null for built-in tools. */
            created_at: string | null;
            updated_at: string | null;
        };
        ToolPage: {
            items: components["schemas"]["Tool"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /** @description An OpenAI-style chat completion, as aisuite returns it. */
        ChatCompletion: {
            id: string;
            /** @enum {string} */
            object: "chat.completion";
            /** @description Unix seconds. */
            created: number;
            /** @description The model that answered, as `provider:model`. */
            model: string;
            choices: {
                index: number;
                message: {
                    /** @enum {string} */
                    role: "assistant";
                    content: string;
                };
                finish_reason: components["schemas"]["FinishReason"];
            }[];
            usage: components["schemas"]["TokenUsage"];
        };
        ChatCompletionInputMessage: {
            /** @enum {string} */
            role: "system" | "user" | "assistant";
            content: string;
        };
        /**
         * @example {
         *       "model": "offline",
         *       "messages": [
         *         {
         *           "role": "user",
         *           "content": "Say hello in French."
         *         }
         *       ]
         *     }
         */
        ChatCompletionRequest: {
            /**
             * @description `provider:model`; the default model when omitted.
             * @example offline
             * @example anthropic:claude-sonnet-4-6
             */
            model?: string;
            messages: components["schemas"]["ChatCompletionInputMessage"][];
            temperature?: number;
            max_tokens?: number;
            /** @description Stream the answer as Server-Sent Events (also with `Accept: text/event-stream`). */
            stream?: boolean;
        };
        /**
         * @example {
         *       "prompt": "Write a short poem about the sea for a child",
         *       "model": "offline"
         *     }
         */
        CompilePromptRequest: {
            prompt: string;
            /**
             * @description `provider:model`; the default model when omitted.
             * @example offline
             * @example anthropic:claude-sonnet-4-6
             */
            model?: string;
            /** @description Another name for `model`, kept for older clients. */
            modelid?: string;
        };
        CompiledPrompt: {
            original_prompt: string;
            compiled_prompt: string;
            model: string;
        };
        CompiledPromptForm: {
            original_prompt: string;
            /** @description The prompt with `{{name}}` placeholders. */
            compiled_prompt: string;
            parameters: components["schemas"]["PromptParameter"][];
            /** @description A JSON Schema of an object with one property per parameter, for a form generator. */
            form_schema: {
                [key: string]: unknown;
            };
            model: string;
        };
        /** @enum {string} */
        FinishReason: "stop" | "tool_calls" | "length" | "content_filter";
        MediaInput: {
            /**
             * Format: byte
             * @description The bytes in base64 (standard or URL-safe alphabet), or a `data:<type>;base64,…` URL.
             */
            data: string;
            /** @description The type, e.g. `image/png`; optional, as the type is decided from the bytes. When given it must agree with them (else 415). */
            content_type?: string;
        };
        Model: {
            /**
             * @description The model as `provider:model`: what an assistant's `model` takes.
             * @example openai:gpt-4o-mini
             */
            id: string;
            /** @description The vendor's own model name. */
            model_id: string;
            model_api_source: components["schemas"]["ModelProviderId"];
            name: string;
            supports_tools: boolean;
            supports_streaming: boolean;
            /** @description What the model reads: `text`, and `image` or `video` when it takes them (`POST /api/v1/run` refuses the others). */
            input_modalities: ("text" | "image" | "video")[];
            /** @description The model used when none is named. */
            is_default: boolean;
        };
        ModelPage: {
            items: components["schemas"]["Model"][];
            total: number;
            page: number;
            size: number;
            pages: number;
            has_next: boolean;
            has_prev: boolean;
        };
        /** @enum {string} */
        ModelProviderId: "openai" | "anthropic" | "groq" | "bedrock" | "offline";
        /** @enum {string} */
        PromptParameterType: "string" | "number" | "boolean" | "enum";
        PromptParameter: {
            name: string;
            label: string;
            type: components["schemas"]["PromptParameterType"];
            description: string;
            required: boolean;
            /** @description A string, number, boolean or null. */
            default?: string | number | boolean | null;
            options?: string[];
        };
        PromptParameterInput: {
            name: string;
            type?: components["schemas"]["PromptParameterType"];
            label?: string;
            description?: string;
            required?: boolean;
            /** @description A string, number, boolean or null. */
            default?: string | number | boolean | null;
            options?: string[];
        };
        /** @description A run as multipart/form-data: text fields and files. The files of one run may be 40 MiB together. */
        RunAudioForm: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            assistant_id: string;
            /** @description The text; may be left out when a file is sent. */
            input?: string;
            /** @description The field repeated once per uploaded file to run on. */
            file_ids?: string[];
            /** @description Earlier turns as JSON text: `[{"role": "user", "content": "…"}, …]`. */
            history?: string;
            /** @description Images for the model to look at (PNG, JPEG, GIF, WebP; 8 at most, 10 MiB each). Refused with 422 `MODEL_INPUT_NOT_SUPPORTED` when the assistant's model does not take images (see `input_modalities` in `GET /api/v1/model`). */
            images?: string[];
            /**
             * Format: binary
             * @description Speech to run on (MP3, WAV, OGG, FLAC, M4A/MP4, WebM; 25 MiB): transcribed, and the transcript is the text (after `input` when both are sent). Needs a transcription engine (`OPENAI_API_KEY`): without one, 503 `TRANSCRIPTION_NOT_CONFIGURED`.
             */
            audio?: string;
            /**
             * Format: binary
             * @description A video for the model to watch (MP4, WebM, MOV, MKV; 25 MiB). Taken by Bedrock's Amazon Nova Lite, Pro and Premier; refused with 422 `MODEL_INPUT_NOT_SUPPORTED` by other models.
             */
            video?: string;
            /**
             * @description `mp3` (`audio/mpeg`) or `wav` (`audio/wav`). The local engine makes WAV only, whatever is asked.
             * @default mp3
             * @enum {string}
             */
            format: "mp3" | "wav";
            /** @description The engine's voice: OpenAI's (`alloy`, `coral`, …) or espeak-ng's (`en`, `en-us`, `fr`, …). */
            voice?: string;
        };
        /**
         * @example {
         *       "assistant_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "input": "Say hello",
         *       "format": "wav"
         *     }
         */
        RunAudioRequest: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            assistant_id: string;
            /** @description The text to run the assistant on; may be left out when `audio`, `images` or `video` are sent. */
            input?: string;
            /** @description Uploaded files (yours, or of a chat you see) to run on. Text, CSV, JSON and XML files are given to the model as text (the first 64 KiB of each); other files by name, type and size. */
            file_ids?: string[];
            /** @description Earlier turns, oldest first. */
            history?: components["schemas"]["ChatCompletionInputMessage"][];
            /** @description Images for the model to look at (PNG, JPEG, GIF, WebP; 8 at most, 10 MiB each). Refused with 422 `MODEL_INPUT_NOT_SUPPORTED` when the assistant's model does not take images (see `input_modalities` in `GET /api/v1/model`). */
            images?: components["schemas"]["MediaInput"][];
            audio?: components["schemas"]["MediaInput"];
            video?: components["schemas"]["MediaInput"];
            /**
             * @description `mp3` (`audio/mpeg`) or `wav` (`audio/wav`). The local engine makes WAV only, whatever is asked.
             * @default mp3
             * @enum {string}
             */
            format: "mp3" | "wav";
            /** @description The engine's voice: OpenAI's (`alloy`, `coral`, …) or espeak-ng's (`en`, `en-us`, `fr`, …). */
            voice?: string;
        };
        /** @description A run as multipart/form-data: text fields and files. The files of one run may be 40 MiB together. */
        RunForm: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            assistant_id: string;
            /** @description The text; may be left out when a file is sent. */
            input?: string;
            /** @description The field repeated once per uploaded file to run on. */
            file_ids?: string[];
            /** @description Earlier turns as JSON text: `[{"role": "user", "content": "…"}, …]`. */
            history?: string;
            /** @description Images for the model to look at (PNG, JPEG, GIF, WebP; 8 at most, 10 MiB each). Refused with 422 `MODEL_INPUT_NOT_SUPPORTED` when the assistant's model does not take images (see `input_modalities` in `GET /api/v1/model`). */
            images?: string[];
            /**
             * Format: binary
             * @description Speech to run on (MP3, WAV, OGG, FLAC, M4A/MP4, WebM; 25 MiB): transcribed, and the transcript is the text (after `input` when both are sent). Needs a transcription engine (`OPENAI_API_KEY`): without one, 503 `TRANSCRIPTION_NOT_CONFIGURED`.
             */
            audio?: string;
            /**
             * Format: binary
             * @description A video for the model to watch (MP4, WebM, MOV, MKV; 25 MiB). Taken by Bedrock's Amazon Nova Lite, Pro and Premier; refused with 422 `MODEL_INPUT_NOT_SUPPORTED` by other models.
             */
            video?: string;
        };
        /**
         * @description A run as JSON; images, audio and video in base64. The media of one run may be 40 MiB together.
         * @example {
         *       "assistant_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
         *       "input": "What is 6 times 7?"
         *     }
         */
        RunRequest: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            assistant_id: string;
            /** @description The text to run the assistant on; may be left out when `audio`, `images` or `video` are sent. */
            input?: string;
            /** @description Uploaded files (yours, or of a chat you see) to run on. Text, CSV, JSON and XML files are given to the model as text (the first 64 KiB of each); other files by name, type and size. */
            file_ids?: string[];
            /** @description Earlier turns, oldest first. */
            history?: components["schemas"]["ChatCompletionInputMessage"][];
            /** @description Images for the model to look at (PNG, JPEG, GIF, WebP; 8 at most, 10 MiB each). Refused with 422 `MODEL_INPUT_NOT_SUPPORTED` when the assistant's model does not take images (see `input_modalities` in `GET /api/v1/model`). */
            images?: components["schemas"]["MediaInput"][];
            audio?: components["schemas"]["MediaInput"];
            video?: components["schemas"]["MediaInput"];
        };
        RunResult: {
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            id: string;
            /**
             * Format: uuid
             * @description A UUIDv7.
             * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
             */
            assistant_id: string;
            model: string;
            /** @enum {string} */
            status: "completed";
            output: string;
            tool_calls: components["schemas"]["ToolRun"][];
            /** @description Model calls made. */
            steps: number;
            finish_reason: components["schemas"]["FinishReason"];
            usage: components["schemas"]["TokenUsage"];
            /** @description What was heard in `audio`, when audio was sent. */
            transcript?: string;
            /**
             * Format: date-time
             * @description ISO 8601 UTC with milliseconds.
             * @example 2024-01-15T10:30:00.000Z
             */
            created_at: string;
        };
        TokenUsage: {
            prompt_tokens: number;
            completion_tokens: number;
            total_tokens: number;
        };
        ToolRun: {
            /** @description The call's id, as the model gave it. */
            id: string;
            name: string;
            /** @description The arguments, as the JSON text the model produced. */
            arguments: string;
            /** @description What the tool returned (JSON text); `{"error": ...}` when it failed. */
            result: string;
            is_error: boolean;
            step: number;
        };
        /**
         * @example {
         *       "prompt": "Plan 3 days in Lisbon for 2 people",
         *       "parameters": [
         *         {
         *           "name": "city",
         *           "type": "string"
         *         },
         *         {
         *           "name": "days",
         *           "type": "number"
         *         }
         *       ],
         *       "template": "Plan {{days}} days in {{city}}",
         *       "model": "offline"
         *     }
         */
        UpdateParametersRequest: {
            /** @description The text to read values from. */
            prompt: string;
            parameters: components["schemas"]["PromptParameterInput"][];
            /** @description A compiled prompt whose `{{name}}` placeholders are filled with the values found. */
            template?: string;
            /**
             * @description `provider:model`; the default model when omitted.
             * @example offline
             * @example anthropic:claude-sonnet-4-6
             */
            model?: string;
            /** @description Another name for `model`, kept for older clients. */
            modelid?: string;
        };
        UpdatedParameters: {
            /** @description Each parameter's value, or null when the text does not give it. */
            values: {
                [key: string]: string | number | boolean | null;
            };
            /** @description The template with the values put in, when a template was sent. */
            filled_prompt: string | null;
            model: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description The id of this request, as the service logs it: quote it when reporting a problem. A request that sends its own `X-Request-Id` (letters, digits, `_.:-`, at most 128) gets it back. */
        RequestId: string;
        /** @description Requests this caller may make in the current minute to this group of routes (when rate limiting is on). */
        RateLimitLimit: number;
        /** @description Requests left in the current minute (when rate limiting is on). */
        RateLimitRemaining: number;
        /** @description Seconds until the current window ends and the count starts again (when rate limiting is on). */
        RateLimitReset: number;
        /** @description Seconds to wait before trying again: sent with a refusal by the rate limit or the sign-in lock, and passed on from a model provider that gave one. */
        RetryAfter: number;
        /** @description `true` when this is the stored answer to an earlier request with the same `Idempotency-Key`: nothing new was made. */
        IdempotentReplayed: "true";
        /** @description The path of what was created (under the base path the service is served at). */
        Location: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "ada@example.com",
                 *       "password": "violet harbor 71 lantern",
                 *       "full_name": "Ada Lovelace"
                 *     }
                 */
                "application/json": components["schemas"]["RegisterRequest"];
            };
        };
        responses: {
            /** @description The account was created */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "ada@example.com",
                 *       "password": "violet harbor 71 lantern"
                 *     }
                 */
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description A new access token and refresh token */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    refreshToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refresh_token": "the refresh_token that POST /api/v1/auth/login answered"
                 *     }
                 */
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description A new access token and refresh token */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description Refreshed from the `refresh_token` cookie: new cookies are set */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refresh_token": "the refresh_token that POST /api/v1/auth/login answered"
                 *     }
                 */
                "application/json": components["schemas"]["LogoutRequest"];
            };
        };
        responses: {
            /** @description Signed out */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getAuthenticatedUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The signed-in user */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    startProviderSignIn: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A configured provider, e.g. `google`.
                 * @example google
                 */
                provider: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description To the provider's sign-in page */
            302: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    /** @description Where the browser goes next. */
                    location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    finishProviderSignIn: {
        parameters: {
            query?: {
                /** @description The authorization code. */
                code?: string;
                /** @description The `state` of the authorization request. */
                state?: string;
                iss?: string;
                /** @description Set instead of `code` when the provider refused. */
                error?: string;
                error_description?: string;
            };
            header?: never;
            path: {
                /**
                 * @description A configured provider, e.g. `google`.
                 * @example google
                 */
                provider: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description To `login-success-redirect`, with a one-time token */
            302: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    /** @description Where the browser goes next. */
                    location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    handOverSignIn: {
        parameters: {
            query: {
                /** @description The one-time sign-in token the callback handed out. */
                token: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page that finishes the sign-in (no `FRONTEND_URL`) */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description To `FRONTEND_URL` with `token` */
            302: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    /** @description Where the browser goes next. */
                    location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    validateSignInToken: {
        parameters: {
            query: {
                /** @description The one-time sign-in token the callback handed out. */
                token: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The signed-in user; the cookies are set */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getCurrentUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current user */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateCurrentUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "full_name": "Ada King"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateMeRequest"];
            };
        };
        responses: {
            /** @description The user */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listUsers: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
                role?: "admin" | "user";
                /** @description Matches email or name. */
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of users */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "full_name": "Grace Hopper",
                 *       "role": "user",
                 *       "is_active": true
                 *     }
                 */
                "application/json": components["schemas"]["AdminUpdateUserRequest"];
            };
        };
        responses: {
            /** @description The user */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user was deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listApiKeys: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of keys */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Nightly report"
                 *     }
                 */
                "application/json": components["schemas"]["CreateApiKeyRequest"];
            };
        };
        responses: {
            /** @description The new key, shown this once */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKey"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key was revoked */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listConversations: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                assistant_id?: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of conversations */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createConversation: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "A weekend in Lisbon",
                 *       "initial_message": "Hello! Can you help me plan a weekend in Lisbon?"
                 *     }
                 */
                "application/json": components["schemas"]["CreateConversationRequest"];
            };
        };
        responses: {
            /** @description The new conversation */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationDetail"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The conversation */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationDetail"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Lisbon in May"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateConversationRequest"];
            };
        };
        responses: {
            /** @description The conversation */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationDetail"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listMessages: {
        parameters: {
            query?: {
                /** @description Messages after this seq, oldest first. */
                after_seq?: number;
                /** @description Messages before this seq (the newest of them), oldest first. */
                before_seq?: number;
                limit?: number;
            };
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of messages */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageHistory"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    sendMessage: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "content": "What is 6 times 7?"
                 *     }
                 */
                "application/json": components["schemas"]["SendMessageRequest"];
            };
        };
        responses: {
            /** @description The message */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    sendMessageStream: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "content": "What is 6 times 7?"
                 *     }
                 */
                "application/json": components["schemas"]["SendMessageRequest"];
            };
        };
        responses: {
            /** @description The message was sent; its events and the reply follow as they happen */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    cancelReply: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was cancelled */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CancelledReplies"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                message_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                message_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    editMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                message_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "content": "What is 6 times 8?"
                 *     }
                 */
                "application/json": components["schemas"]["EditMessageRequest"];
            };
        };
        responses: {
            /** @description The edited message */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    markConversationRead: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "seq": 1
                 *     }
                 */
                "application/json": components["schemas"]["MarkReadRequest"];
            };
        };
        responses: {
            /** @description The caller's read state */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadState"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listChats: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of chats */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createChat: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "model_id": "offline",
                 *       "model_api_source": "offline"
                 *     }
                 */
                "application/json": components["schemas"]["CreateChatRequest"];
            };
        };
        responses: {
            /** @description The new chat */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Chat"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getChat: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The chat */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Chat"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteChat: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    uploadChatFiles: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["UploadFilesRequest"];
            };
        };
        responses: {
            /** @description The stored files */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["File"][];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listChatFiles: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
            };
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of files, newest first */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FilePage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    downloadChatFile: {
        parameters: {
            query?: never;
            header?: {
                /** @description The `ETag` of the copy the client holds (or several, comma-separated): a `304` answers while it is current. */
                "if-none-match"?: string;
            };
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                chat_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                file_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    /** @description A strong validator of the content: send it back in `If-None-Match` to get a `304` while the content is unchanged. */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description Not modified: the content is what the `ETag` sent in `If-None-Match` names. No body. */
            304: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    /** @description A strong validator of the content: send it back in `If-None-Match` to get a `304` while the content is unchanged. */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteChatFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                chat_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                file_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file is gone */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listChatMessages: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
            };
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of messages */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatMessagePage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listWorkspaces: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
                /** @description Only workspaces with this status. */
                status?: "new" | "active" | "archived";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of workspaces */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkspacePage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createWorkspace: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Research"
                 *     }
                 */
                "application/json": components["schemas"]["CreateWorkspaceRequest"];
            };
        };
        responses: {
            /** @description The new workspace */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Workspace"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getWorkspace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The workspace */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Workspace"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateWorkspace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Research team",
                 *       "status": "active"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateWorkspaceRequest"];
            };
        };
        responses: {
            /** @description The workspace */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Workspace"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteWorkspace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The workspace was deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listWorkspaceMembers: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
            };
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of members */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkspaceMemberPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    addWorkspaceMember: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "grace@example.com",
                 *       "role": "member"
                 *     }
                 */
                "application/json": components["schemas"]["AddWorkspaceMemberRequest"];
            };
        };
        responses: {
            /** @description The new member */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkspaceMember"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateWorkspaceMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "role": "viewer"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateWorkspaceMemberRequest"];
            };
        };
        responses: {
            /** @description The member */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkspaceMember"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    removeWorkspaceMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The member was removed */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listWorkspaceAgents: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
            };
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of attached assistants */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkspaceAgentPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    attachWorkspaceAgent: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "assistant_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d"
                 *     }
                 */
                "application/json": components["schemas"]["AttachWorkspaceAgentRequest"];
            };
        };
        responses: {
            /** @description The assistant was already attached */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkspaceAgent"];
                };
            };
            /** @description The assistant was attached */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkspaceAgent"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    detachWorkspaceAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                workspace_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                assistant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The assistant was detached */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The service is up */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    getDetailedHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every component is healthy */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailedHealth"];
                };
            };
            /** @description A component is failing */
            503: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailedHealth"];
                };
            };
        };
    };
    listWebhooks: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of webhooks */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "url": "https://example.com/hooks/assistant",
                 *       "events": [
                 *         "conversation.created",
                 *         "message.received"
                 *       ],
                 *       "description": "Our CRM"
                 *     }
                 */
                "application/json": components["schemas"]["CreateWebhookRequest"];
            };
        };
        responses: {
            /** @description The webhook, with its secret shown this once */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedWebhook"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The webhook */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The webhook was deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "events": [
                 *         "message.received"
                 *       ],
                 *       "description": "Our CRM, messages only"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateWebhookRequest"];
            };
        };
        responses: {
            /** @description The webhook */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
                status?: "pending" | "succeeded" | "failed";
            };
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of deliveries */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    redeliverWebhookDelivery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                webhook_id: string;
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                delivery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new delivery, queued */
            202: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDelivery"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    testWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The test delivery, queued */
            202: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDelivery"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    uploadFile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["UploadFileRequest"];
            };
        };
        responses: {
            /** @description The stored file */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["File"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    downloadFile: {
        parameters: {
            query?: never;
            header?: {
                /** @description The `ETag` of the copy the client holds (or several, comma-separated): a `304` answers while it is current. */
                "if-none-match"?: string;
            };
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                file_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    /** @description A strong validator of the content: send it back in `If-None-Match` to get a `304` while the content is unchanged. */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description Not modified: the content is what the `ETag` sent in `If-None-Match` names. No body. */
            304: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    /** @description A strong validator of the content: send it back in `If-None-Match` to get a `304` while the content is unchanged. */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                file_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file is gone */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listAssistants: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
                /** @description Only assistants with this status. */
                status?: "active" | "inactive" | "draft";
                category?: string;
                /** @description Only assistants of this owner (`me`: the caller). */
                owner_id?: string | "me";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of assistants */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssistantPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createAssistant: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Travel planner",
                 *       "description": "Plans trips and does the sums",
                 *       "personality": "Friendly and precise",
                 *       "system_prompt": "You help people plan trips. Use the calculator for any arithmetic.",
                 *       "tools": [
                 *         "calculator",
                 *         "current_time"
                 *       ],
                 *       "model": "offline",
                 *       "temperature": 0.7,
                 *       "visibility": "private"
                 *     }
                 */
                "application/json": components["schemas"]["CreateAssistantRequest"];
            };
        };
        responses: {
            /** @description The new assistant */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Assistant"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getAssistant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                assistant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The assistant */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Assistant"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateAssistant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                assistant_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "temperature": 0.3,
                 *       "status": "active"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateAssistantRequest"];
            };
        };
        responses: {
            /** @description The assistant */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Assistant"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteAssistant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A UUIDv7.
                 * @example 01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d
                 */
                assistant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The assistant was deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listTools: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
                /** @description `field:asc` or `field:desc`. */
                sort?: string;
                category?: string;
                kind?: "builtin" | "http";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of tools */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ToolPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createTool: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key: the same key twice makes one thing and returns the first answer. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "weather",
                 *       "description": "The current weather in a city",
                 *       "parameters": {
                 *         "type": "object",
                 *         "properties": {
                 *           "city": {
                 *             "type": "string",
                 *             "description": "A city name"
                 *           }
                 *         },
                 *         "required": [
                 *           "city"
                 *         ]
                 *       },
                 *       "url": "https://example.com/weather",
                 *       "method": "GET"
                 *     }
                 */
                "application/json": components["schemas"]["CreateToolRequest"];
            };
        };
        responses: {
            /** @description The new tool */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Idempotent-Replayed": components["headers"]["IdempotentReplayed"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Tool"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getTool: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tool_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tool */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Tool"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteTool: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tool_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tool was deleted */
            204: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listModels: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page. */
                size?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of models */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelPage"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createChatCompletion: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "model": "offline",
                 *       "messages": [
                 *         {
                 *           "role": "user",
                 *           "content": "Say hello in French."
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["ChatCompletionRequest"];
            };
        };
        responses: {
            /** @description The completion (JSON), or its stream (text/event-stream) */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatCompletion"];
                    "text/event-stream": string;
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider did not answer in time */
            504: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    runAssistant: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "assistant_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
                 *       "input": "What is 6 times 7?"
                 *     }
                 */
                "application/json": components["schemas"]["RunRequest"];
                "multipart/form-data": components["schemas"]["RunForm"];
            };
        };
        responses: {
            /** @description The answer */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunResult"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not available on this server: the message says what to configure */
            503: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider did not answer in time */
            504: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    runAssistantAudio: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "assistant_id": "01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
                 *       "input": "Say hello",
                 *       "format": "wav"
                 *     }
                 */
                "application/json": components["schemas"]["RunAudioRequest"];
                "multipart/form-data": components["schemas"]["RunAudioForm"];
            };
        };
        responses: {
            /** @description The spoken answer */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "audio/mpeg": string;
                    "audio/wav": string;
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not available on this server: the message says what to configure */
            503: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider did not answer in time */
            504: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    compilePrompt: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "prompt": "Write a short poem about the sea for a child",
                 *       "model": "offline"
                 *     }
                 */
                "application/json": components["schemas"]["CompilePromptRequest"];
            };
        };
        responses: {
            /** @description The compiled prompt */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CompiledPrompt"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider did not answer in time */
            504: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    compilePromptForm: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "prompt": "Write a short poem about the sea for a child",
                 *       "model": "offline"
                 *     }
                 */
                "application/json": components["schemas"]["CompilePromptRequest"];
            };
        };
        responses: {
            /** @description The template and its form */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CompiledPromptForm"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider did not answer in time */
            504: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updatePromptParameters: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "prompt": "Plan 3 days in Lisbon for 2 people",
                 *       "parameters": [
                 *         {
                 *           "name": "city",
                 *           "type": "string"
                 *         },
                 *         {
                 *           "name": "days",
                 *           "type": "number"
                 *         }
                 *       ],
                 *       "template": "Plan {{days}} days in {{city}}",
                 *       "model": "offline"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateParametersRequest"];
            };
        };
        responses: {
            /** @description The values found */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UpdatedParameters"];
                };
            };
            /** @description Bad request: malformed JSON or an unusable value */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation error: the failing fields are listed in `errors` */
            422: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider failed or refused the request */
            502: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The model provider did not answer in time */
            504: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getInternalHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Healthy */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InternalHealth"];
                };
            };
            /** @description Unhealthy */
            503: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InternalHealth"];
                };
            };
        };
    };
    createWebSocketTicket: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A ticket */
            201: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WsTicket"];
                };
            };
            /** @description Not authenticated: missing, invalid or expired credentials */
            401: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden: authenticated, but not allowed */
            403: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: retry after `Retry-After` seconds */
            429: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-ratelimit-limit": components["headers"]["RateLimitLimit"];
                    "x-ratelimit-remaining": components["headers"]["RateLimitRemaining"];
                    "x-ratelimit-reset": components["headers"]["RateLimitReset"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Metrics in the Prometheus text format */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
}
