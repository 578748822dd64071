# plugin HTTP, TikTok API, OAuth (owned by the plugin-net work)
