# Generated documentation (owned by the docs work).
