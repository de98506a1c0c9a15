// Placeholder: the script engine lands here.
