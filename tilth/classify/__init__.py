"""Model-based quality classifiers learned from annotations (an LLM's scores, people's labels, a filter's
keep/drop): sample rows to annotate, train a small head on MiniLM embeddings and/or hashed n-grams, store
it versioned in the workspace, and score a corpus with the `quality_classifier` operator."""
