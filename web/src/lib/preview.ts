// Renders a PDF into canvases with pdf.js, served from this site (the CSP allows nothing
// else, and phones do not show PDFs inside pages). Loaded only when a PDF is opened.
import { getDocument, GlobalWorkerOptions } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

export const MAX_PAGES = 30;

// Draws up to MAX_PAGES pages, each as wide as the container; returns the page count.
export async function renderPdf(data: ArrayBuffer, container: HTMLElement, label: (page: number, total: number) => string): Promise<number> {
  const task = getDocument({ data, isEvalSupported: false });
  const pdf = await task.promise;
  const width = Math.max(280, container.clientWidth || 800);
  const ratio = window.devicePixelRatio || 1;
  for (let n = 1; n <= Math.min(pdf.numPages, MAX_PAGES); n++) {
    const page = await pdf.getPage(n);
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: (width / unscaled.width) * ratio });
    const canvas = document.createElement('canvas');
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = '100%';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', label(n, pdf.numPages));
    container.appendChild(canvas);
    await page.render({ canvas, canvasContext: canvas.getContext('2d')!, viewport }).promise;
  }
  const total = pdf.numPages;
  await task.destroy();
  return total;
}
