"""Analysis: one analyzer for paragraphs and questions (terms), and sentence splitting (sentences)."""

from .terms import (ANALYSIS_VERSION, IRREGULAR_VERBS, NUMBER_WORDS, STOPWORDS, analyze, analyze_columns, analyze_spans, fold,
                    joined_then_part, settings, terms_for_token)

__all__ = ["ANALYSIS_VERSION", "IRREGULAR_VERBS", "NUMBER_WORDS", "STOPWORDS", "analyze", "analyze_columns",
           "analyze_spans", "fold", "joined_then_part", "settings", "terms_for_token"]
