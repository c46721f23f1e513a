// Every top-level command group registers itself here, one line each.
import type { Command } from 'commander';
import { registerOci } from './oci.js';
import { registerLab } from './lab.js';
import { registerNetwork } from './network.js';
import { registerImage, registerLogin } from './image.js';
import { registerContainer } from './container.js';
import { registerTrace } from './trace.js';
import { registerExplain } from './explain.js';
import { registerBuild } from './build.js';
import { registerContainerMore } from './container-more.js';
import { registerSystem } from './system.js';

export type Registrar = (program: Command, binName: string) => void;

export const registrars: Registrar[] = [registerOci, registerLab, registerNetwork, registerImage, registerBuild, registerLogin, registerTrace, registerContainer, registerContainerMore, registerSystem, registerExplain];
