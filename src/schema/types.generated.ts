/* Generated from schemas/ by scripts/gen-types.mjs (npm run gen:types). Do not edit. */

/**
 * One sidebar section; `type` selects its shape.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "customer-connection-response__section".
 */
export type Section = LinkSection | ListSection
/**
 * A Liquid template rendered against `{ data: { customer } }` (at most 2048 characters).
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "customer-connection-response__template".
 */
export type Template = string
/**
 * A Liquid expression in a tag, `{% … %}`, over `data.yetto.*` and `data.customer.*`.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__condition".
 */
export type Condition = string
/**
 * Actions, run in order; at most 20 (our limit, docs/protocol.md).
 *
 * @minItems 1
 * @maxItems 20
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__actions".
 */
export type Actions = [Action, ...Action[]]
/**
 * One action; `uses` selects its shape.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__action".
 */
export type Action = ApplyLabelsAction | AssignConversationAction | HttpRequestAction
/**
 * Optional name shown in logs and plans.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__actionName".
 */
export type Switch_ActionName = string
/**
 * A list of names (labels or member handles); Liquid allowed.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__handles".
 */
export type Switch_Handles = string[]
/**
 * Names to remove, or "*" to remove all. Removal happens before `add`.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__removeList".
 */
export type Switch_RemoveList = Switch_Handles | '*'
/**
 * The event catalogue: every documented event name, with the object its payload carries (`x-payload` names the key inside the `yetto` envelope and the object in webhook-objects.schema.json). The event name travels in the `X_YETTO_EVENT` header.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-events".
 */
export type EventName =
  | 'conversation.created'
  | 'conversation.updated'
  | 'conversation.closed'
  | 'conversation.reopened'
  | 'conversation.assigned'
  | 'conversation.unassigned'
  | 'conversation.labeled'
  | 'conversation.unlabeled'
  | 'conversation.destroyed'
  | 'inbox.created'
  | 'inbox.updated'
  | 'inbox.renamed'
  | 'inbox.destroyed'
  | 'message.created'
  | 'message.updated'
  | 'message.destroyed'
  | 'organization.created'
  | 'organization.updated'
  | 'organization.renamed'
  | 'organization.destroyed'
  | 'plug_installation.created'
  | 'plug_installation.updated'
  | 'plug_installation.destroyed'
/**
 * Opaque identifier of the object.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__id".
 */
export type ObjectId = string
/**
 * Every event of one group, as used in switches and webhook subscriptions.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-events__wildcard".
 */
export type EventWildcard = 'conversation.*' | 'inbox.*' | 'message.*' | 'organization.*' | 'plug_installation.*'
/**
 * An event name or a group wildcard.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-events__pattern".
 */
export type EventPattern = EventName | EventWildcard

export interface ConnectionKitDocuments {
  'challenge-response'?: ChallengeResponse
  'customer-connection-response'?: CustomerConnectionResponse
  'request-context'?: RequestContext
  switch?: Switch
  'webhook-events'?: EventName
  webhook?: WebhookPayload
}
/**
 * The endpoint's answer to a challenge request (set-up or Test button): the challenge string, echoed unchanged, within 3 seconds.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "challenge-response".
 */
export interface ChallengeResponse {
  /**
   * The exact `challenge` value from the request context.
   */
  challenge: string
}
/**
 * What a customer endpoint answers to a signed GET from the help desk (response version 2024-03-06). `customer` is free-form and is exposed to templates as `data.customer.*`; `sections` say how the sidebar shows it, in order.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "customer-connection-response".
 */
export interface CustomerConnectionResponse {
  /**
   * Response format version. Must be exactly this string.
   */
  version: '2024-03-06'
  customer: CustomerData
  /**
   * Sidebar sections, displayed in order (at most 50).
   *
   * @maxItems 50
   */
  sections: Section[]
}
/**
 * Any JSON object describing the customer. Templates read it as `data.customer.*`; automations route, label and assign on it.
 */
export interface CustomerData {
  [k: string]: unknown | undefined
}
/**
 * A link out of the help desk, for example to the customer in a billing dashboard.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "customer-connection-response__linkSection".
 */
export interface LinkSection {
  /**
   * Section type.
   */
  type: 'link'
  title: Template
  description?: Template
  href: Template
}
/**
 * A titled list of label/value pairs.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "customer-connection-response__listSection".
 */
export interface ListSection {
  /**
   * Section type.
   */
  type: 'list'
  title: Template
  /**
   * The rows of the list, in order (at most 100).
   *
   * @maxItems 100
   */
  items: ListItem[]
}
/**
 * One row of a list section.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "customer-connection-response__listItem".
 */
export interface ListItem {
  description: Template
  value: Template
}
/**
 * Why and for whom the help desk asks for customer data. It travels as the path parameter: base64url(JSON) without padding, appended to the configured URL, and that string is what the request signature covers. (Our choice; see docs/protocol.md.)
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "request-context".
 */
export interface RequestContext {
  /**
   * What made the help desk ask: a conversation was viewed, an automation ran, the agent clicked refresh, or the connection is being set up or tested.
   */
  reason: 'conversation_viewed' | 'automation' | 'refresh' | 'challenge'
  /**
   * When the request was made (ISO-8601, UTC).
   */
  requested_at: string
  /**
   * The inbox whose customer connection is asking.
   */
  inbox: {
    /**
     * Inbox slug.
     */
    slug: string
    [k: string]: unknown | undefined
  }
  /**
   * The conversation being viewed or automated.
   */
  conversation?: {
    /**
     * Conversation id.
     */
    id: string
    /**
     * Conversation title.
     */
    title?: string
    /**
     * Link to the conversation in the help desk.
     */
    html_url?: string
    [k: string]: unknown | undefined
  }
  /**
   * The person who wrote in: the endpoint picks the customer by `email`.
   */
  requester?: {
    /**
     * Requester's e-mail address.
     */
    email: string
    /**
     * Requester's display name.
     */
    name?: string
    [k: string]: unknown | undefined
  }
  /**
   * Random value the endpoint must echo as `{"challenge": …}` (only when `reason` is `challenge`).
   */
  challenge?: string
  [k: string]: unknown | undefined
}
/**
 * An automation (Yetto calls it a switch), version 2023-03-06: for each event (or `group.*` wildcard), optional conditions, actions run in order, and scheduled actions run later. Conditions and Liquid in action fields see the event's object as `data.yetto.*` and the customer connection's data as `data.customer.*`.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch".
 */
export interface Switch {
  /**
   * Switch format version. Must be exactly this string.
   */
  version: '2023-03-06'
  /**
   * What to do for each event name or `group.*` wildcard.
   */
  events: {
    [k: string]: EventHandler | undefined
  }
}
/**
 * The conditions and actions for one event. Needs `actions`, `scheduled`, or both.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__eventHandler".
 */
export interface EventHandler {
  conditions?: Conditions
  actions?: Actions
  /**
   * Actions that run a while after the event; their conditions are evaluated when the timer fires. At most 10 entries per event (our limit, docs/protocol.md).
   *
   * @minItems 1
   * @maxItems 10
   */
  scheduled?: [ScheduledActions, ...ScheduledActions[]]
}
/**
 * `if` must be true and `unless` must be false for the actions to run.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__conditions".
 */
export interface Conditions {
  if?: Condition
  unless?: Condition
}
/**
 * Add and/or remove conversation labels (at least one of `add`, `remove`).
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__applyLabels".
 */
export interface ApplyLabelsAction {
  /**
   * Action type.
   */
  uses: 'apply_labels'
  name?: Switch_ActionName
  add?: Switch_Handles
  remove?: Switch_RemoveList
}
/**
 * Add and/or remove assignees by member handle (at least one of `add`, `remove`).
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__assignConversation".
 */
export interface AssignConversationAction {
  /**
   * Action type.
   */
  uses: 'assign_conversation'
  name?: Switch_ActionName
  add?: Switch_Handles
  remove?: Switch_RemoveList
}
/**
 * Send an HTTP request. Without `with.body` the event payload is sent; body string values are Liquid.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__httpRequest".
 */
export interface HttpRequestAction {
  /**
   * Action type.
   */
  uses: 'http_request'
  name?: Switch_ActionName
  /**
   * Where to send the request.
   */
  to: {
    /**
     * Target URL. Liquid is allowed after the host: scheme, host and port must be literal text, and every value a template outputs is percent-encoded for the URL part it lands in.
     */
    url: string
  }
  /**
   * Method, headers and body.
   */
  with: {
    /**
     * HTTP method.
     */
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    /**
     * Headers as a list of one-key objects.
     */
    headers?: {
      [k: string]: string | undefined
    }[]
    /**
     * Request body; string values are Liquid templates.
     */
    body?: {
      [k: string]: unknown | undefined
    }
  }
}
/**
 * Actions that run `after` a delay, if their conditions still hold then.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "switch__scheduledActions".
 */
export interface ScheduledActions {
  /**
   * Delay as a human duration: a whole number (up to 4 digits) and a unit (seconds, minutes, hours, days, weeks); at most 90 days in all (our limit, docs/protocol.md).
   */
  after: string
  conditions?: Conditions
  actions: Actions
}
/**
 * Body of a webhook POST: an object with the single key `yetto`, holding the event's object under its own key (for `message.created`, `yetto.message`). The same object is what switches see as `data.yetto.*`. The request is signed over the raw body bytes (`X_YETTO_SIGNATURE`).
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook".
 */
export interface WebhookPayload {
  yetto: WebhookBody
}
/**
 * The event's object under its key (see webhook-events.schema.json), possibly with related objects.
 */
export interface WebhookBody {
  conversation?: Conversation
  inbox?: Inbox
  message?: Message
  organization?: Organization
  plug_installation?: PlugInstallation
  plug?: Plug
  membership?: Membership
  user?: User
  [k: string]: unknown | undefined
}
/**
 * A conversation in an inbox.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__conversation".
 */
export interface Conversation {
  id: ObjectId
  inbox: ObjectRef
  /**
   * Conversation title.
   */
  title: string
  /**
   * Whether the conversation is open or closed.
   */
  state: 'open' | 'closed'
  originating_message?: ObjectRef
  /**
   * Messages of the conversation.
   */
  messages?: ObjectRef[]
  /**
   * Link to the conversation in the help desk.
   */
  html_url: string
  /**
   * Labels on the conversation (switches add and remove them).
   */
  labels: string[]
  /**
   * Handles of the members the conversation is assigned to.
   */
  assignees?: string[]
  [k: string]: unknown | undefined
}
/**
 * A nested object: its `id`, possibly with more of its fields.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__ref".
 */
export interface ObjectRef {
  id: ObjectId
  [k: string]: unknown | undefined
}
/**
 * An inbox of an organization.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__inbox".
 */
export interface Inbox {
  id: ObjectId
  /**
   * Inbox name.
   */
  name: string
  /**
   * Inbox slug.
   */
  slug: string
  /**
   * Who can see the inbox.
   */
  visibility?: string
  organization?: ObjectRef
  [k: string]: unknown | undefined
}
/**
 * A message in a conversation, created either by a member or by a plug (exactly one of `created_by_membership`, `created_by_plug`).
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__message".
 */
export interface Message {
  id: ObjectId
  created_by_membership?: ObjectRef
  created_by_plug?: ObjectRef
  conversation: ObjectRef
  /**
   * Who the message is shown as from.
   */
  author: {
    /**
     * Author display name.
     */
    name: string
    [k: string]: unknown | undefined
  }
  /**
   * Message body as HTML.
   */
  html_content?: string
  /**
   * Message body as plain text.
   */
  text_content: string
  /**
   * `public` messages are sent to the customer; `internal` ones are notes.
   */
  visibility: 'public' | 'internal'
  /**
   * Whether the message still waits for a reply.
   */
  is_awaiting_response?: boolean
  /**
   * Files attached to the message.
   */
  attachments?: {
    /**
     * File content, base64-encoded.
     */
    content: string
    /**
     * Encoding of `content`.
     */
    encoding: 'base64'
    [k: string]: unknown | undefined
  }[]
  [k: string]: unknown | undefined
}
/**
 * A help-desk organization.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__organization".
 */
export interface Organization {
  id: ObjectId
  /**
   * Organization name.
   */
  name: string
  /**
   * Organization slug.
   */
  slug: string
  /**
   * Organization status.
   */
  status: 'active' | 'inactive' | 'suspended'
  [k: string]: unknown | undefined
}
/**
 * A plug installed on an inbox or on a whole organization (exactly one of `installed_on_inbox`, `installed_on_organization`).
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__plug_installation".
 */
export interface PlugInstallation {
  id: ObjectId
  installed_on_inbox?: ObjectRef
  installed_on_organization?: ObjectRef
  plug: ObjectRef
  [k: string]: unknown | undefined
}
/**
 * An app that extends the help desk.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__plug".
 */
export interface Plug {
  id: ObjectId
  /**
   * Plug name.
   */
  name: string
  /**
   * Plug handle.
   */
  handle: string
  [k: string]: unknown | undefined
}
/**
 * A user's membership of an organization.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__membership".
 */
export interface Membership {
  id: ObjectId
  /**
   * Membership number within the organization.
   */
  number: number
  /**
   * Role of the member.
   */
  relationship: 'owner' | 'member'
  user: ObjectRef
  [k: string]: unknown | undefined
}
/**
 * A help-desk user.
 *
 * This interface was referenced by `ConnectionKitDocuments`'s JSON-Schema
 * via the `definition` "webhook-objects__user".
 */
export interface User {
  id: ObjectId
  /**
   * User name.
   */
  name: string
  /**
   * User handle.
   */
  handle: string
  [k: string]: unknown | undefined
}
