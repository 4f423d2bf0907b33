"""YouTube: links, transcripts (cache, youtube-transcript-api, yt-dlp), the
caption-track policy, caption parsers."""
