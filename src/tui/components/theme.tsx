// Colours only on a TTY: components ask this context instead of styling unconditionally.
import React, { createContext, useContext } from 'react';
import { Text } from 'ink';

export const ColorContext = createContext(false);

export function useColor(): boolean {
  return useContext(ColorContext);
}

interface StyledProps {
  children?: React.ReactNode;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

/** Text whose colour and attributes apply only when colours are on. */
export function Styled({ children, color, bold, dim, inverse }: StyledProps): React.ReactElement {
  const on = useColor();
  if (!on) return <Text wrap="truncate-end">{children}</Text>;
  return (
    <Text wrap="truncate-end" {...(color ? { color } : {})} bold={bold ?? false} dimColor={dim ?? false} inverse={inverse ?? false}>
      {children}
    </Text>
  );
}
