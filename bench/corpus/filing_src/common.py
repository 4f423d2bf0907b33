def E(subject, title, text, chapters=None, style="human", language="en"):
    return {"subject": subject, "title": title, "chapters": chapters or [],
            "text": " ".join(text.split()), "style": style, "language": language}
