"""Question answering over an index, no Flask: questions, passages, answer sentence, spans, disagreement."""
