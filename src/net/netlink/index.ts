// rtnetlink in TypeScript: message encoding (constants, attributes, message, requests), a traced
// socket, and the operations built on them (rtnl).
export * from './constants.js';
export * from './attributes.js';
export * from './message.js';
export * as requests from './requests.js';
export type { NetlinkRequest, NetnsRef, LinkRef, VethSpec, LinkChange, AddressSpec, RouteSpec } from './requests.js';
export { NetlinkSocket, NetlinkError, withNetlink } from './socket.js';
export * as rtnl from './rtnl.js';
