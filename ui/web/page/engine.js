// The in-app browser engine: wllama (llama.cpp compiled to WebAssembly) running the same GGUF the native engine
// uses. Python drives it through the QWebChannel object `bridge`; everything this page loads comes from the
// app's own loopback origin (the request interceptor blocks the rest).
import { Wllama } from './wllama/index.js';

const status = (text) => { document.getElementById('status').textContent = text; };
let bridge = null;
let wllama = null;
let adapterInfo = null;
const running = new Map(); // request id -> AbortController

async function probeWebGPU() {
  if (!navigator.gpu) return { available: false, reason: 'navigator.gpu is missing' };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'navigator.gpu.requestAdapter() returned null' };
    const info = adapter.info || {};
    return { available: true, vendor: info.vendor || '', architecture: info.architecture || '',
             device: info.device || '', description: info.description || '' };
  } catch (error) {
    return { available: false, reason: String(error) };
  }
}

async function fetchModel(url, size) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`model request failed: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const parts = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    bridge.progress(size ? loaded / size : 0);
  }
  return new Blob(parts);
}

window.tutor = {
  async probe() {
    adapterInfo = await probeWebGPU();
    bridge.probed(JSON.stringify({ webgpu: adapterInfo, isolated: self.crossOriginIsolated,
                                   cores: navigator.hardwareConcurrency, userAgent: navigator.userAgent }));
  },

  async load(config) {
    try {
      const started = performance.now();
      if (!adapterInfo) adapterInfo = await probeWebGPU();
      status('loading the model…');
      const blob = await fetchModel(config.url, config.size);
      const fetchedMs = performance.now() - started;
      wllama = new Wllama({ default: './wllama/wasm/wllama.wasm' }, { suppressNativeLog: true });
      const gpuLayers = adapterInfo.available && config.gpu !== false ? 999 : 0;
      await wllama.loadModel([blob], { n_ctx: config.n_ctx, n_threads: config.threads, n_gpu_layers: gpuLayers,
                                       seed: 1 });
      const info = wllama.getLoadedContextInfo ? wllama.getLoadedContextInfo() : {};
      status('ready');
      bridge.loaded(JSON.stringify({
        ms: performance.now() - started, fetch_ms: fetchedMs, multithread: wllama.isMultithread(),
        threads: wllama.getNumThreads(), gpu_layers: gpuLayers, webgpu: adapterInfo, context: info,
        isolated: self.crossOriginIsolated,
      }));
    } catch (error) {
      bridge.failed(String(error && error.stack || error));
    }
  },

  async generate(id, request) {
    const abort = new AbortController();
    running.set(id, abort);
    let finish = 'stop';
    let timings = null;
    try {
      const stream = await wllama.createCompletion({
        prompt: request.prompt, max_tokens: request.max_tokens, temperature: request.temperature,
        top_p: request.top_p, top_k: request.top_k, penalty_repeat: request.repeat_penalty,
        seed: request.seed ?? undefined, stop: request.stop.length ? request.stop : undefined,
        grammar: request.grammar || undefined, stream: true, abortSignal: abort.signal,
      });
      for await (const chunk of stream) {
        const choice = chunk.choices && chunk.choices[0];
        if (choice && choice.text) bridge.token(id, choice.text);
        if (choice && choice.finish_reason) finish = choice.finish_reason;
        if (chunk.timings) timings = chunk.timings;
      }
    } catch (error) {
      finish = abort.signal.aborted ? 'cancelled' : 'error';
      timings = { error: String(error) };
    }
    if (abort.signal.aborted) finish = 'cancelled';
    running.delete(id);
    bridge.done(id, JSON.stringify({ finish, timings }));
  },

  cancel(id) {
    const abort = running.get(id);
    if (abort) abort.abort();
  },
};

// Outside the app (headless Chromium in tests) there is no QWebChannel: `?selftest=1` runs probe, load and one
// greedy generation, then posts what happened back to the app's own server.
async function selfTest(params) {
  const events = { tokens: [] };
  bridge = {
    pageReady() {}, progress() {},
    probed(data) { events.probe = JSON.parse(data); },
    loaded(data) { events.load = JSON.parse(data); },
    failed(message) { events.error = message; },
    token(id, text) { events.tokens.push(text); },
    done(id, data) { events.done = JSON.parse(data); },
  };
  await window.tutor.probe();
  await window.tutor.load({ url: 'model.gguf', size: 0, n_ctx: 1024, threads: Number(params.get('threads') || 2),
                            gpu: params.get('gpu') !== '0' });
  if (!events.error) {
    await window.tutor.generate(1, { prompt: params.get('prompt') || 'The capital of France is',
      max_tokens: Number(params.get('tokens') || 12), temperature: 0, top_p: 1, top_k: 1, repeat_penalty: 1,
      seed: 1, stop: [], grammar: null });
  }
  await fetch('report', { method: 'POST', body: JSON.stringify(events) });
}

const query = new URLSearchParams(location.search);
if (typeof qt !== 'undefined' && qt.webChannelTransport) {
  new QWebChannel(qt.webChannelTransport, (channel) => {
    bridge = channel.objects.bridge;
    status('connected');
    bridge.pageReady(JSON.stringify({ isolated: self.crossOriginIsolated }));
  });
} else if (query.get('selftest')) {
  selfTest(query).catch((error) => fetch('report', { method: 'POST', body: JSON.stringify({ error: String(error) }) }));
}
