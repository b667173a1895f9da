// The alerts page, progressively enhanced (the page works without it): the rule form shows
// only the fields the chosen kind uses, and deleting a rule asks first.
(function () {
  "use strict";
  var form = document.querySelector("form.rule-form");
  if (form) {
    var kind = form.querySelector('select[name="kind"]');
    var show = function () {
      form.querySelectorAll("[data-kinds]").forEach(function (el) {
        el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind.value) < 0;
      });
    };
    kind.addEventListener("change", show);
    show();
  }
  document.querySelectorAll('#alert-rules button[value="delete"]').forEach(function (btn) {
    btn.addEventListener("click", function (ev) {
      var name = btn.closest("tr").getAttribute("data-rule");
      if (!window.confirm("Delete the alert rule " + name + "? Its history stays.")) {
        ev.preventDefault();
      }
    });
  });
})();
