"""The note: the draft model, its generators (Claude, the offline writer), Markdown,
the notes store, exports."""
