"""Understanding a message: the routing words (:mod:`.routing`), text analysis (:mod:`.analysis`,
:mod:`.language`), the two signals (:mod:`.lexical`, :mod:`.ranker`), the matcher (:mod:`.matcher`) and the
decision that carries the route to every reply (:mod:`.decision`). ``model/`` holds a shipped fitted ranker."""
