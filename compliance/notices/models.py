"""Versioned privacy notices and terms, and the purposes of processing with their legal basis."""
