"""Filing and linking: embeddings, the taxonomy, the category, tags, wiki links."""
