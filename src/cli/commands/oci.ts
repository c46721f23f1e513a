import type { Command } from 'commander';

export function registerOci(program: Command, binName: string): void {
  void program;
  void binName;
}
