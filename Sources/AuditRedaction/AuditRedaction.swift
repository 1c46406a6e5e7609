// Placeholder: the module's types land in their own files.
