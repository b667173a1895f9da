"""Zendesk's vocabulary as deskmetrics reads it: via channels, roles, statuses, rating scores.

Shared by every reader of Zendesk data (the export importer, and the views over a connector's
synced tables), so that the same Zendesk data gives the same canonical rows whichever way it
arrives."""

from __future__ import annotations

#: Zendesk via ids → via type names (Zendesk's "Via types reference"), for exports that give
#: the channel as a number.
VIA_NAMES: dict[str, str] = {
    "0": "web_form", "4": "mail", "5": "web_service", "8": "rule", "9": "linked_problem",
    "10": "group_deletion", "11": "user_change", "12": "user_deletion", "13": "group_change",
    "14": "resource_push", "15": "iphone", "16": "get_satisfaction", "17": "dropbox",
    "19": "merge", "20": "batch", "21": "recovered_from_suspended_tickets",
    "22": "automatic_solution_suggestions", "23": "twitter_favorite", "24": "topic",
    "26": "twitter_dm", "27": "closed_ticket", "29": "chat", "30": "twitter",
    "31": "ticket_sharing", "33": "voicemail", "34": "phone_call_inbound",
    "35": "phone_call_outbound", "38": "facebook_post", "41": "facebook_message",
    "44": "api_voicemail", "45": "api_phone_call_inbound", "46": "api_phone_call_outbound",
    "48": "web_widget", "49": "mobile_sdk", "50": "helpcenter", "54": "satisfaction_prediction",
    "55": "any_channel", "56": "mobile", "57": "sms",
}  # fmt: skip

#: via channels of changes a trigger, automation or the system made
AUTOMATIC_CHANNELS = frozenset({"rule", "system", "8"})
#: via source rels of changes a trigger or automation made
AUTOMATIC_RELS = frozenset({"trigger", "automation"})
#: the Answer Bot channel that serves agents, not the bot answering a customer
AGENTS_ANSWER_BOT = "answer_bot_for_agents"
#: Zendesk user roles that are agents (an agent's words are replies)
AGENT_ROLES = frozenset({"agent", "admin"})
#: Zendesk user role → the canonical author role of what the user writes
ROLE_TO_AUTHOR = {"end-user": "customer", "agent": "agent", "admin": "agent"}
#: the user id Zendesk gives the system's own changes
SYSTEM_USER = "-1"
#: the ticket statuses deskmetrics knows (Zendesk's `deleted` tickets are left out)
STATUSES = frozenset({"new", "open", "pending", "hold", "solved", "closed"})
#: satisfaction scores that are answers
ANSWERS = frozenset({"good", "bad"})
#: satisfaction scores of a survey offered but not answered, and of one never offered
OFFERED, UNOFFERED = "offered", "unoffered"
#: via channels of a ticket opened by the customer's call
INBOUND_CALLS = frozenset(
    {"voice", "voicemail", "phone_call_inbound", "api_voicemail", "api_phone_call_inbound"}
)
