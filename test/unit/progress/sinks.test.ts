import { describe, expect, it, vi } from 'vitest';
import type { ProgressEvent } from '../../../src/progress/events.js';
import { formatLine, lineSink, quietSink } from '../../../src/progress/sinks.js';

const events: ProgressEvent[] = [
  { kind: 'step', text: 'Loading kubeconfig' },
  { kind: 'info', text: 'pod/web-1: container app' },
  { kind: 'waiting', reason: 'ContainerCreating', message: undefined },
  { kind: 'waiting', reason: 'ErrImagePull', message: 'failed to pull\n  image "x":\trpc error' },
  { kind: 'waiting', reason: 'Pending', message: '' },
  { kind: 'warn', text: 'the target runs as uid 1001 gid 1001' },
  { kind: 'debug', text: 'GET /api/v1/namespaces/shop/pods/web-1 200' },
  { kind: 'timing', phase: 'pod get', ms: 42 },
  { kind: 'ready', text: 'shell in pod/web-1 (app)' },
];

const everyLine = [
  'distroless-debug: pod/web-1: container app\n',
  'distroless-debug: debugger waiting: ContainerCreating\n',
  'distroless-debug: debugger waiting: ErrImagePull: failed to pull image "x": rpc error\n',
  'distroless-debug: debugger waiting: Pending\n',
  'distroless-debug: warning: the target runs as uid 1001 gid 1001\n',
  'distroless-debug: [debug] GET /api/v1/namespaces/shop/pods/web-1 200\n',
  'distroless-debug: [timing] pod get 42 ms\n',
  'distroless-debug: shell in pod/web-1 (app)\n',
];

function capture(): { out: { write(s: string): unknown }; writes: string[] } {
  const writes: string[] = [];
  return { out: { write: (s: string) => writes.push(s) }, writes };
}

describe('formatLine', () => {
  it.each([
    { e: events[0]!, want: undefined },
    { e: events[1]!, want: 'distroless-debug: pod/web-1: container app' },
    { e: events[2]!, want: 'distroless-debug: debugger waiting: ContainerCreating' },
    { e: events[3]!, want: 'distroless-debug: debugger waiting: ErrImagePull: failed to pull image "x": rpc error' },
    { e: events[4]!, want: 'distroless-debug: debugger waiting: Pending' },
    { e: events[5]!, want: 'distroless-debug: warning: the target runs as uid 1001 gid 1001' },
    { e: events[6]!, want: 'distroless-debug: [debug] GET /api/v1/namespaces/shop/pods/web-1 200' },
    { e: events[7]!, want: 'distroless-debug: [timing] pod get 42 ms' },
    { e: events[8]!, want: 'distroless-debug: shell in pod/web-1 (app)' },
  ])('$e.kind', ({ e, want }) => {
    expect(formatLine(e)).toBe(want);
  });
});

describe('lineSink', () => {
  it('verbose: one line per event except steps, one write per line', () => {
    const { out, writes } = capture();
    const sink = lineSink(out, true);
    for (const e of events) sink.emit(e);
    sink.close();
    expect(writes).toEqual(everyLine);
  });

  it('not verbose: drops debug and timing', () => {
    const { out, writes } = capture();
    const sink = lineSink(out, false);
    for (const e of events) sink.emit(e);
    sink.close();
    expect(writes).toEqual([
      'distroless-debug: pod/web-1: container app\n',
      'distroless-debug: debugger waiting: ContainerCreating\n',
      'distroless-debug: debugger waiting: ErrImagePull: failed to pull image "x": rpc error\n',
      'distroless-debug: debugger waiting: Pending\n',
      'distroless-debug: warning: the target runs as uid 1001 gid 1001\n',
      'distroless-debug: shell in pod/web-1 (app)\n',
    ]);
  });

  it('writes nothing for steps alone', () => {
    const { out, writes } = capture();
    const sink = lineSink(out, true);
    sink.emit({ kind: 'step', text: 'a' });
    sink.emit({ kind: 'step', text: 'b' });
    expect(writes).toEqual([]);
  });

  it('close writes nothing and emit still works after it', () => {
    const { out, writes } = capture();
    const sink = lineSink(out, false);
    sink.close();
    expect(writes).toEqual([]);
    sink.emit({ kind: 'info', text: 'x' });
    expect(writes).toEqual(['distroless-debug: x\n']);
  });
});

describe('quietSink', () => {
  it('accepts everything and writes nothing', () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const e of events) quietSink.emit(e);
      quietSink.close();
      expect(out).not.toHaveBeenCalled();
      expect(err).not.toHaveBeenCalled();
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
