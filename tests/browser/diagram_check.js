// What a person reading a workflow diagram needs: every label at least 12 px on the screen,
// no two labels (or a label and a state's box) overlapping. Returns the problems in words.
() => {
  const problems = [];
  document.querySelectorAll("svg.wf-diagram").forEach((svg, index) => {
    const texts = [...svg.querySelectorAll("text")];
    const boxes = texts.map(t => ({text: t.textContent, r: t.getBoundingClientRect(),
                                   size: parseFloat(getComputedStyle(t).fontSize) *
                                         (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)}));
    boxes.forEach(b => { if (b.size < 12) problems.push(`diagram ${index}: “${b.text}” is ${b.size.toFixed(1)} px`); });
    const rects = [...svg.querySelectorAll("g.wf-node rect")].map(r => r.getBoundingClientRect());
    const meets = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const edgeLabels = boxes.filter(b => !b.text || true).filter((b, i) => !texts[i].closest("g.wf-node"));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        if (meets(boxes[i].r, boxes[j].r)) problems.push(`diagram ${index}: “${boxes[i].text}” overlaps “${boxes[j].text}”`);
      }
    }
    edgeLabels.forEach(b => rects.forEach(r => { if (meets(b.r, r)) problems.push(`diagram ${index}: “${b.text}” overlaps a state`); }));
  });
  return problems;
}
