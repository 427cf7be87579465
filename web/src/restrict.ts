import type { Modifier } from '@dnd-kit/core';

/** Reasons move only up and down (what @dnd-kit/modifiers' restrictToVerticalAxis does, without the extra package). */
export const restrictToVerticalAxis: Modifier = ({ transform }) => ({ ...transform, x: 0 });
