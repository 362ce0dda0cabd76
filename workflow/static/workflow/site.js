// Accessible names and keyboard access for what the stock admin's scripts build in the browser
// (WCAG 2.1 A/AA, Section 508). Every control the server sends carries its name in the HTML
// (inline table fields: config/templates/admin/edit_inline/tabular.html; date and time halves:
// runtime/templates/admin/widgets/split_datetime.html). What remains here is what exists only
// once a script has run: select2's box and search field, the filtered multi-select's help icons,
// and keyboard access to boxes that turn out to scroll. It never renames a control that has a name.
(function () {
  "use strict";

  function text(node) {
    return node ? node.textContent.replace(/\s+/g, " ").replace(/[:*]\s*$/, "").trim() : "";
  }

  function hasName(control) {
    if (control.getAttribute("aria-label") || control.getAttribute("aria-labelledby") || control.title) {
      return true;
    }
    if (control.id && document.querySelector('label[for="' + CSS.escape(control.id) + '"]')) {
      return true;
    }
    return Boolean(control.closest("label"));
  }

  function labelOf(id) {
    var label = id && document.querySelector('label[for="' + CSS.escape(id) + '"]');
    return text(label);
  }

  function name(control, words) {
    if (words && !hasName(control)) {
      control.setAttribute("aria-label", words);
    }
  }

  function fix(root) {
    // The filtered multi-select's help icons are images with a description.
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    // select2: the box and its search field carry the name of the select they stand for.
    root.querySelectorAll("select.admin-autocomplete, select[data-select2-id], select.select2-hidden-accessible").forEach(
      function (select) {
        var words = labelOf(select.id) || select.getAttribute("aria-label") || select.name;
        var box = select.nextElementSibling;
        if (!box || !box.classList.contains("select2")) {
          return;
        }
        box.querySelectorAll(".select2-search__field, .select2-selection__rendered[role=textbox]").forEach(
          function (control) {
            name(control, control.classList.contains("select2-search__field") ? "Search " + words : words);
          });
        // The box is labelled by what it shows (empty until a choice is made): by the field's
        // label first, then by the choice.
        var label = select.id && document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
        box.querySelectorAll("[role=combobox]").forEach(function (control) {
          if (label) {
            label.id = label.id || select.id + "-label";
            var shown = control.getAttribute("aria-labelledby") || "";
            if (shown.split(" ").indexOf(label.id) === -1) {
              control.setAttribute("aria-labelledby", (label.id + " " + shown).trim());
            }
          } else {
            name(control, words);
          }
        });
      });
    document.querySelectorAll(".select2-container--open .select2-search__field").forEach(function (control) {
      name(control, "Search");
    });
    // Boxes that scroll sideways (tables on narrow screens, diagrams) are reachable by keyboard.
    root.querySelectorAll(".wf-scroll, .results, .module, .wf-diagram-wrap").forEach(function (box) {
      var style = window.getComputedStyle(box);
      var scrolls = /(auto|scroll)/.test(style.overflowX + style.overflowY) &&
        (box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight);
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        if (!box.getAttribute("aria-label") && !box.getAttribute("role")) {
          var heading = box.querySelector("h2, caption");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", text(heading) || "Scrollable content");
        }
      }
    });
  }

  var pending = false;
  function soon() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        fix(document);
      });
    }
  }

  // A diagram's current state is scrolled into view inside the diagram's own box.
  function showCurrentState() {
    document.querySelectorAll(".wf-diagram-wrap").forEach(function (box) {
      var current = box.querySelector(".wf-current");
      if (current && box.scrollWidth > box.clientWidth) {
        var shown = box.getBoundingClientRect();
        var state = current.getBoundingClientRect();
        box.scrollLeft += state.left + state.width / 2 - (shown.left + shown.width / 2);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showCurrentState();
    fix(document);
    new MutationObserver(soon).observe(document.body, {childList: true, subtree: true});
  });
  window.addEventListener("load", soon);
  window.addEventListener("resize", soon);
})();
