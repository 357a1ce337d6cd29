package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in a real headless Chromium (Debian's chromium and chromium-driver, installed by
 * {@code .ci/install-references}): every page loads without console errors, the playground streams
 * a reply, and a screenshot of every page is saved under {@code target/ui-screenshots/}.
 */
class WebUiTest {

    private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");

    @TempDir
    static Path dir;
    static PlinthServer server;
    static WebDriver browser;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        Path chromium = Files.isExecutable(Path.of("/usr/lib/chromium/chromium")) ? Path.of("/usr/lib/chromium/chromium")
                : Path.of("/usr/bin/chromium");
        Path driver = Path.of("/usr/bin/chromedriver");
        if (!Files.isExecutable(chromium) || !Files.isExecutable(driver)) {
            String reason = "chromium and chromium-driver are not installed (.ci/install-references installs them)";
            System.err.println("SKIPPED: " + reason);
            assumeTrue(false, reason);
        }
        Path runs = Files.createDirectories(dir.resolve("runs"));
        writeRun(runs.resolve("base-small"), 40);
        writeRun(runs.resolve("tiny"), 12);
        server = PlinthServer.start(TestServers.config(TestServers.store(dir)).withRunsFolder(runs));
        base = "http://127.0.0.1:" + server.port();
        ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                        "--disable-gpu", "--no-first-run");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    /** A log.csv as the pretrainer writes it: a falling train loss, a validation loss every tenth step. */
    static void writeRun(Path folder, int steps) throws Exception {
        Files.createDirectories(folder);
        StringBuilder csv = new StringBuilder("step,lr,train_loss,val_loss,tokens_per_s,grad_norm\n");
        for (int s = 1; s <= steps; s++) {
            double loss = 6 * Math.exp(-s / 15.0) + 1.5 + 0.1 * Math.sin(s);
            csv.append(s).append(",0.001,").append(loss).append(',').append(s % 10 == 0 ? Double.toString(loss + 0.2) : "")
                    .append(",1200.0,1.0\n");
        }
        Files.writeString(folder.resolve("log.csv"), csv);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    static void open(String page) {
        browser.get(base + page);
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> "true".equals(
                d.findElement(By.tagName("body")).getDomAttribute("data-loaded")));
    }

    static void assertNoConsoleErrors(String page) {
        List<LogEntry> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
        assertTrue(severe.isEmpty(), page + ": " + severe);
    }

    static void screenshot(String name) throws Exception {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void theProductsPageListsProductsAndDrawsALineage() throws Exception {
        open("/");
        List<WebElement> rows = browser.findElements(By.cssSelector("tr.product"));
        assertEquals(5, rows.size());
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> !d.findElements(By.id("lineage-graph")).isEmpty()
                && ((Number) ((org.openqa.selenium.JavascriptExecutor) d)
                .executeScript("return document.getElementById('lineage-graph').naturalWidth")).intValue() > 0);
        assertNoConsoleErrors("/");
        screenshot("products");
    }

    @Test
    void thePlaygroundStreamsAReply() throws Exception {
        open("/chat.html?model=tutor:latest");
        assertTrue(browser.findElement(By.id("profile")).getText().contains("You explain words."));
        new Select(browser.findElement(By.id("model"))).selectByValue("mail:latest");
        browser.findElement(By.id("max_tokens")).clear();
        browser.findElement(By.id("max_tokens")).sendKeys("24");
        browser.findElement(By.id("prompt")).sendKeys("Once upon a time");
        browser.findElement(By.id("send")).click();
        WebElement reply = new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> {
            List<WebElement> done = d.findElements(By.cssSelector(".turn.assistant[data-done='true']"));
            return done.isEmpty() ? null : done.getFirst();
        });
        assertFalse(reply.getText().replace("assistant", "").isBlank());
        assertTrue(browser.findElement(By.id("status")).getText().contains("generated"));
        assertNoConsoleErrors("/chat.html");
        screenshot("playground");
    }

    @Test
    void theRunsPageDrawsLossCurves() throws Exception {
        open("/runs.html");
        List<WebElement> runs = browser.findElements(By.cssSelector(".run"));
        assertEquals(2, runs.size());
        assertEquals(2, runs.getFirst().findElements(By.cssSelector("polyline")).size(), "train and validation curves");
        assertNoConsoleErrors("/runs.html");
        screenshot("runs");
    }
}
