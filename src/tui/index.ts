// src/tui: the Ink TUI that watches, steps through and replays a container's lifecycle.
export { runUnderTui, runReplay, stripTuiFlags, tslabBin, type RunUnderTuiOptions } from './run.js';
export { plainStepSink, plainLine, type PlainOptions } from './plain.js';
// App (React) is not re-exported: importing it here would load React before runUnderTui can pick
// its production build. Import './App.js' directly to embed the TUI.
export type { AppProps, TuiResult } from './App.js';
export { TraceModel, type StepRow } from './model.js';
export { StepController } from './controller.js';
export { LiveSource, EVENTS_FD, CONTROL_FD } from './sources/live.js';
export { ReplaySource } from './sources/replay.js';
export type { EventSource, SourceHandlers } from './sources/source.js';
