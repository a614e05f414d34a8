// Runs before the first paint (a classic script in <head>), so a chosen theme never flashes the
// other one. Not an ES module on purpose: modules are deferred.
try { const t = localStorage.getItem('omnisonic.theme'); if (t) document.documentElement.dataset.theme = t; } catch (e) {}
