// Gives the focus back when a dialog closes: to the first of the selectors that finds an element, once the
// dialog has left the page (its focus trap would take the focus back). Returns the selector used, or null.
export async function focusFirst(selectors) {
  for (let frame = 0; frame < 60 && document.querySelector('.mud-dialog-container'); frame++) {
    await new Promise(resolve => requestAnimationFrame(resolve));
  }
  for (const selector of selectors) {
    const element = document.querySelector(selector);
    if (element) {
      element.focus();
      return selector;
    }
  }
  return null;
}
