"""The conversation core: a message in, a reply out. Plain Python, no channel imports.

:mod:`.conversation` routes what a person sends to the right reply; :mod:`.replies` holds what crosses
the seam to a channel (``Reply``, ``Button``, ``User``, ``Message``…); :mod:`.commands`, :mod:`.callbacks`,
:mod:`.inline`, :mod:`.flood` and :mod:`.preferences` are its parts; :mod:`.limits` names the Bot API's
documented limits every room keeps to.
"""
