"""Student-facing text: the catalogue, the feedback voice, the words for sandbox notes."""
