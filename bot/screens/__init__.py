"""What a reply looks like: answers rendered for each surface (:mod:`.compose`, :mod:`.views`), the
replies that are not plain answers (:mod:`.screens`) and the buttons under them (:mod:`.keyboards`)."""
