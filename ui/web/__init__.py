"""The in-app browser engine: a QtWebEngine page running wllama (llama.cpp in WebAssembly, WebGPU when the page
gets an adapter) on the same GGUF file, served from a loopback origin and driven over QWebChannel."""
