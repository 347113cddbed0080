// The collapsed debug toolbar is a handle fixed to the window's right edge: keep the page out of that
// strip, so the handle never covers the admin's filters or the browsable API's buttons.
const root = document.getElementById("djDebugRoot");
const scope = root.shadowRoot || document;

function reserveHandleStrip() {
    const handle = scope.getElementById("djDebugToolbarHandle");
    const shown = handle && !handle.classList.contains("djdt-hidden");
    document.body.style.marginRight = shown ? `${Math.ceil(handle.getBoundingClientRect().width)}px` : "";
}

const handle = scope.getElementById("djDebugToolbarHandle");
if (handle) {
    new MutationObserver(reserveHandleStrip).observe(handle, { attributes: true, attributeFilter: ["class", "style"] });
    reserveHandleStrip();
}
