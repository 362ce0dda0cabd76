// Back at the row just adjudicated: the browser scrolls to the row's anchor (#comment-<id>) and
// then moves the focus to the page itself (an anchor in the address also disables autofocus):
// once that is done, focus the row's decision so the keyboard is where the eyes are.
window.addEventListener("load", function () {
  var target = document.querySelector("[data-wf-focus]");
  if (target) {
    window.setTimeout(function () {
      target.focus({preventScroll: true});
    }, 0);
  }
});
