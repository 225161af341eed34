"""The rights card picture: drawing (:mod:`.render`), the shipped fonts (:mod:`.fonts`, ``fonts/``), its
replies (:mod:`.replies`) and the glyph and layout checks ``kyr-bot check`` runs (:mod:`.checks`). The only
room that imports Pillow."""
