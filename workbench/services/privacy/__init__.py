"""Personal data: pseudonyms, erasure, subject access, retention and the content purge they share."""
