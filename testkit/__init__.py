"""What tests and benchmarks share: fakes of YouTube, yt-dlp's YouTube, Anthropic and
Stripe (real SDKs talk to them on 127.0.0.1), synthetic lectures, forged tokens,
and the local stack run as a real process. Never shipped to Lambda."""
