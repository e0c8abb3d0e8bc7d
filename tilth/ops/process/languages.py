"""Language names people write, as the ISO 639-1 codes lid.176 reports: one table for the operators that
take a language by name and for the planner that reads one in a request."""

# ISO 639-1 codes of languages lid.176 knows, by English name (and a few common variants).
LANGUAGES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "russian": "ru", "chinese": "zh", "mandarin": "zh", "japanese": "ja", "korean": "ko",
    "arabic": "ar", "hindi": "hi", "bengali": "bn", "urdu": "ur", "turkish": "tr", "polish": "pl",
    "ukrainian": "uk", "czech": "cs", "slovak": "sk", "swedish": "sv", "norwegian": "no", "danish": "da",
    "finnish": "fi", "greek": "el", "hebrew": "he", "hungarian": "hu", "romanian": "ro", "bulgarian": "bg",
    "serbian": "sr", "croatian": "hr", "slovenian": "sl", "vietnamese": "vi", "thai": "th", "indonesian": "id",
    "malay": "ms", "persian": "fa", "farsi": "fa", "tamil": "ta", "telugu": "te", "swahili": "sw",
    "catalan": "ca", "basque": "eu", "galician": "gl", "estonian": "et", "latvian": "lv", "lithuanian": "lt",
    "icelandic": "is", "irish": "ga", "welsh": "cy", "tagalog": "tl", "filipino": "tl", "afrikaans": "af",
    "esperanto": "eo", "latin": "la",
    # what speakers call their own language
    "deutsch": "de", "français": "fr", "francais": "fr", "español": "es", "espanol": "es", "castellano": "es",
    "italiano": "it", "português": "pt", "portugues": "pt", "nederlands": "nl", "polski": "pl", "svenska": "sv",
    "norsk": "no", "dansk": "da", "suomi": "fi", "türkçe": "tr", "turkce": "tr", "magyar": "hu", "čeština": "cs",
    "română": "ro", "ελληνικά": "el", "русский": "ru", "українська": "uk", "中文": "zh", "日本語": "ja", "한국어": "ko",
}


def language_code(name: str) -> str | None:
    """'English', 'english' or 'en' -> 'en'; None for a name the table does not hold."""
    low = name.strip().lower()
    return LANGUAGES.get(low) or (low if low in LANGUAGES.values() else None)
