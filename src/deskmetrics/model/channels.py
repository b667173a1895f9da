"""Channel names of the help desks deskmetrics knows, as data (an open vocabulary's defaults)."""

from __future__ import annotations

#: Channel names help desks use → the channel deskmetrics reports them as. A ticket keeps the
#: name its source gave (open vocabulary); reports group by the mapped name. `[channels]` in
#: deskmetrics.toml adds to or overrides this (e.g. `whatsapp = "messaging"`; applied by the
#: engine's workspace when tables are read); a name found nowhere is reported as given.
DEFAULT_CHANNELS: dict[str, str] = {
    name: channel
    for channel, names in {
        "email": "mail e-mail inbound_email outbound_email",
        "web": "web_form web_widget help_center helpcenter mobile_sdk mobile portal form "
        "contact_form dropbox batch beacon",
        "chat": "chat chat_transcript live_chat messaging native_messaging "
        "sunshine_conversations_api whatsapp line wechat telegram viber kakaotalk "
        "apple_business_chat google_business_messages google_rcs sms text_message "
        "messenger in_app conversation beaconchat",
        "phone": "voice voicemail call phone_call phone_call_inbound phone_call_outbound "
        "api_voicemail api_phone_call_inbound api_phone_call_outbound",
        "social": "twitter twitter_dm twitter_favorite twitter_like x facebook facebook_post "
        "facebook_message instagram instagram_dm any_channel",
        "api": "web_service ticket_sharing",
    }.items()
    for name in names.split()
}
