"""Short video and music: decoding (PyAV), vPDQ frame hashes and matching, Chromaprint
audio fingerprints and their matching. Pure library code: no workbench imports."""
