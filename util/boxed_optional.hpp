// An optional value kept on the heap: the size of a pointer when empty, the interface of
// std::optional where dbadvise uses it (has_value, bool, *, ->, =, reset, emplace, ==), and a
// deep copy.
//
// For large members that most objects leave empty. A Finding carries the workload statement
// and the database object it is about (analyze), 336 bytes of strings that lint never fills;
// held inline they made every finding 704 bytes, and moving and first touching tens of
// thousands of them was a tenth of a lint run (bench/lint_bench, perf).
#pragma once

#include <compare>
#include <memory>
#include <optional>
#include <utility>

namespace dbadvise::util {

template <class T>
class BoxedOptional {
public:
    BoxedOptional() = default;
    BoxedOptional(std::nullopt_t) {}
    BoxedOptional(const T& value) : m_value(std::make_unique<T>(value)) {}
    BoxedOptional(T&& value) : m_value(std::make_unique<T>(std::move(value))) {}
    BoxedOptional(const std::optional<T>& value) {
        if (value) m_value = std::make_unique<T>(*value);
    }
    BoxedOptional(const BoxedOptional& other) : m_value(other.m_value ? std::make_unique<T>(*other.m_value) : nullptr) {}
    BoxedOptional(BoxedOptional&&) noexcept = default;
    BoxedOptional& operator=(const BoxedOptional& other) {
        if (this != &other) m_value = other.m_value ? std::make_unique<T>(*other.m_value) : nullptr;
        return *this;
    }
    BoxedOptional& operator=(BoxedOptional&&) noexcept = default;
    BoxedOptional& operator=(std::nullopt_t) {
        m_value.reset();
        return *this;
    }
    BoxedOptional& operator=(const T& value) {
        if (m_value) *m_value = value;
        else m_value = std::make_unique<T>(value);
        return *this;
    }
    BoxedOptional& operator=(T&& value) {
        if (m_value) *m_value = std::move(value);
        else m_value = std::make_unique<T>(std::move(value));
        return *this;
    }

    [[nodiscard]] bool has_value() const { return m_value != nullptr; }
    explicit operator bool() const { return m_value != nullptr; }
    T& operator*() { return *m_value; }
    const T& operator*() const { return *m_value; }
    T* operator->() { return m_value.get(); }
    const T* operator->() const { return m_value.get(); }
    T& value() {
        if (!m_value) throw std::bad_optional_access();
        return *m_value;
    }
    const T& value() const {
        if (!m_value) throw std::bad_optional_access();
        return *m_value;
    }
    void reset() { m_value.reset(); }
    template <class... Args>
    T& emplace(Args&&... args) {
        m_value = std::make_unique<T>(std::forward<Args>(args)...);
        return *m_value;
    }

    friend bool operator==(const BoxedOptional& a, const BoxedOptional& b) {
        if (!a.m_value || !b.m_value) return !a.m_value && !b.m_value;
        return *a.m_value == *b.m_value;
    }
    friend bool operator==(const BoxedOptional& a, std::nullopt_t) { return !a.m_value; }

private:
    std::unique_ptr<T> m_value;
};

} // namespace dbadvise::util
