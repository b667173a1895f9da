"""Reading what customers wrote: sentiment of a message and topics of tickets.

Pure functions and classes over texts and vectors; nothing here touches a workspace (the job in
`deskmetrics.ticket_text` reads the texts and stores what these compute)."""
