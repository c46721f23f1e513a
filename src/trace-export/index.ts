// src/trace-export: a recorded trace as an asciicast, a Chrome trace, or an HTML report.
export { toAsciicast, formatAsciicast, type Asciicast, type AsciicastOptions } from './asciicast.js';
export { toChromeTrace, type ChromeTrace } from './chrome.js';
export { writeReport, type ReportOptions, type ReportCheck, type WrittenReport } from './report.js';
export { exportSteps, lifecycleSteps } from './steps.js';
